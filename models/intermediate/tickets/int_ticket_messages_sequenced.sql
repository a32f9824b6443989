{#- One row per modelled message (a known ticket, sent at or after its
    creation and by the as-of instant), with its place in the conversation: public customer messages
    and human replies form turns; bot messages and internal notes sit
    outside them. -#}

{{ config(**incremental_by('ticket_id', per_ticket=true)) }}

-- depends_on: {{ ref('int_tickets_changed') }}


with

messages as (
    select checked_messages.*
    from {{ ref('int_ticket_messages_checked') }} as checked_messages
    cross join {{ ref('int_build_as_of') }} as as_of
    where checked_messages.rejection_reasons is null
        and checked_messages.created_at <= as_of.as_of_at
        and {{ in_changed_tickets('checked_messages.ticket_id') }}
),

conversation as (
    select
        message_id,
        ticket_id,
        author_role,
        is_public,
        is_human_reply,
        created_at,
        ticket_created_at,
        case
            when author_role = 'customer' then 'customer'
            when is_human_reply then 'agent'
        end as speaker
    from messages
),

sequenced as (
    select
        *,
        speaker = 'customer'
        and coalesce(
            lag(speaker) over (
                partition by ticket_id, speaker is null
                order by created_at, message_id
            ),
            'agent'
        ) = 'agent' as is_turn_start
    from conversation
),

numbered as (
    select
        *,
        sum(case when is_turn_start then 1 else 0 end) over (
            partition by ticket_id, speaker is null
            order by created_at, message_id
            rows between unbounded preceding and current row
        ) as running_turn_count
    from sequenced
),

turns as (
    select
        message_id,
        ticket_id,
        author_role,
        speaker,
        is_public,
        is_human_reply,
        case when speaker is not null then running_turn_count end as customer_turn_number,
        created_at,
        ticket_created_at
    from numbered
)

select * from turns
