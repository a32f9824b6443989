{#- One row per deduplicated message, with the reasons it cannot be related
    to its ticket: the ticket is in no export (unknown_ticket), or the message
    is stamped before the ticket was created (message_before_ticket_created).
    Null reasons: the message is modelled. -#}

{{ config(**incremental_by('ticket_id', per_ticket=true)) }}

-- depends_on: {{ ref('int_tickets_changed') }}


{%- set checks = [
    ('tickets.ticket_id is null', 'unknown_ticket',
        "'ticket ' || " ~ shown_value('messages.ticket_id') ~ " || ' is in no tickets export, or only in rejected rows'"),
    ('messages.created_at < tickets.created_at', 'message_before_ticket_created',
        "'message sent before its ticket was created'"),
] %}

with

messages as (
    select staged_messages.*
    from {{ ref('stg_helpdesk__ticket_messages') }} as staged_messages
    where {{ in_changed_tickets('staged_messages.ticket_id') }}
),

tickets as (
    select
        staged_tickets.ticket_id,
        staged_tickets.created_at
    from {{ ref('stg_helpdesk__tickets') }} as staged_tickets
    where {{ in_changed_tickets('staged_tickets.ticket_id') }}
),

checked as (
    select
        messages.message_id,
        messages.ticket_id,
        messages.author_role,
        messages.source_file,
        messages.source_row_number,
        messages.is_public,
        messages.is_human_reply,
        messages.created_at,
        tickets.created_at as ticket_created_at,
        {{ rejection_reasons(checks) }} as rejection_reasons,
        {{ rejection_details(checks) }} as rejection_details
    from messages
    left join tickets
        on messages.ticket_id = tickets.ticket_id
)

select * from checked
