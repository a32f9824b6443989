{#- One row per deduplicated status change, with the reason it cannot be
    related to its ticket (unknown_ticket). Null reasons: modelled. -#}

{{ config(**incremental_by('ticket_id', per_ticket=true)) }}

-- depends_on: {{ ref('int_tickets_changed') }}


{%- set checks = [
    ('tickets.ticket_id is null', 'unknown_ticket',
        "'ticket ' || " ~ shown_value('changes.ticket_id') ~ " || ' is in no tickets export, or only in rejected rows'"),
] %}

with

changes as (
    select staged_changes.*
    from {{ ref('stg_helpdesk__ticket_status_changes') }} as staged_changes
    where {{ in_changed_tickets('staged_changes.ticket_id') }}
),

tickets as (
    select staged_tickets.ticket_id
    from {{ ref('stg_helpdesk__tickets') }} as staged_tickets
    where {{ in_changed_tickets('staged_tickets.ticket_id') }}
),

checked as (
    select
        changes.ticket_id,
        changes.status,
        changes.source_file,
        changes.source_row_number,
        changes.changed_at,
        {{ rejection_reasons(checks) }} as rejection_reasons,
        {{ rejection_details(checks) }} as rejection_details
    from changes
    left join tickets
        on changes.ticket_id = tickets.ticket_id
)

select * from checked
