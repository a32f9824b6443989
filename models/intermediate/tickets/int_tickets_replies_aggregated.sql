{#- One row per ticket with messages: first human reply, reply and message
    counts, and the customer turns answered with their total waiting time
    (from a turn's first customer message to the next human reply), in
    whole seconds so that sums are exact and builds reproducible. -#}

{{ config(**incremental_by('ticket_id', per_ticket=true)) }}

-- depends_on: {{ ref('int_tickets_changed') }}


with

messages as (
    select sequenced_messages.*
    from {{ ref('int_ticket_messages_sequenced') }} as sequenced_messages
    where {{ in_changed_tickets('sequenced_messages.ticket_id') }}
),

turns as (
    select
        ticket_id,
        customer_turn_number,
        min(case when speaker = 'customer' then created_at end) as turn_started_at,
        min(case when speaker = 'agent' then created_at end) as turn_replied_at
    from messages
    where customer_turn_number > 0
    group by ticket_id, customer_turn_number
),

turn_totals as (
    select
        ticket_id,
        count(turn_replied_at) as answered_customer_turns,
        sum({{ dbt.datediff('turn_started_at', 'turn_replied_at', 'second') }})
            as customer_wait_seconds
    from turns
    group by ticket_id
),

message_totals as (
    select
        ticket_id,
        sum(case when is_human_reply then 1 else 0 end) as agent_reply_count,
        sum(case when author_role = 'bot' then 1 else 0 end) as bot_message_count,
        sum(case when author_role = 'agent' and not is_public then 1 else 0 end)
            as internal_note_count,
        sum(case when author_role = 'customer' then 1 else 0 end) as customer_message_count,
        min(case when is_human_reply then created_at end) as first_responded_at,
        max(case when author_role = 'customer' then created_at end) as last_customer_message_at
    from messages
    group by ticket_id
),

final as (
    select
        message_totals.ticket_id,
        message_totals.agent_reply_count,
        message_totals.bot_message_count,
        message_totals.internal_note_count,
        message_totals.customer_message_count,
        coalesce(turn_totals.answered_customer_turns, 0) as answered_customer_turns,
        coalesce(turn_totals.customer_wait_seconds, 0) as customer_wait_seconds,
        message_totals.first_responded_at,
        message_totals.last_customer_message_at
    from message_totals
    left join turn_totals
        on message_totals.ticket_id = turn_totals.ticket_id
)

select * from final
