{#- One row per message of a known ticket, sent at or after the ticket's
    creation, with its place in the conversation: public customer messages
    and human replies form turns; bot messages and internal notes sit
    outside them. Messages of unknown tickets or stamped before their ticket
    was created are left to the quarantine. -#}

with

messages as (
    select * from {{ ref('stg_helpdesk__ticket_messages') }}
),

tickets as (
    select
        ticket_id,
        created_at as ticket_created_at
    from {{ ref('stg_helpdesk__tickets') }}
),

joined as (
    select
        messages.message_id,
        messages.ticket_id,
        messages.author_role,
        messages.is_public,
        messages.is_human_reply,
        messages.created_at,
        tickets.ticket_created_at,
        case
            when messages.author_role = 'customer' then 'customer'
            when messages.is_human_reply then 'agent'
        end as speaker
    from messages
    inner join tickets
        on messages.ticket_id = tickets.ticket_id
    where messages.created_at >= tickets.ticket_created_at
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
    from joined
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
