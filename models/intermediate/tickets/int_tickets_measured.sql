{#- One row per ticket as it stood at the as-of instant: the latest
    version across the overlapping exports, with its replies, resolution,
    flags and survey scores as kpi-definitions.md defines them. fct_tickets
    adds the business-hour, SLA and status-time columns. -#}

{{ config(**incremental_by('ticket_id', per_ticket=true)) }}

-- depends_on: {{ ref('int_tickets_changed') }}


with

as_of as (
    select as_of_at from {{ ref('int_build_as_of') }}
),

{# The tickets as they stood at the as-of instant: created by then, and
   solved only if the solve had happened by then. #}
tickets as (
    select
        staged.ticket_id,
        staged.customer_id,
        staged.channel,
        staged.category,
        staged.priority,
        staged.assignee_id,
        staged.status,
        staged.reopen_count,
        staged.is_escalated,
        staged.is_abandoned,
        staged.is_solved and coalesce(staged.solved_at <= as_of.as_of_at, true) as is_solved,
        staged.created_at,
        case when staged.solved_at <= as_of.as_of_at then staged.solved_at end as solved_at
    from {{ ref('stg_helpdesk__tickets') }} as staged
    cross join as_of
    where
        staged.created_at <= as_of.as_of_at
        and {{ in_changed_tickets('staged.ticket_id') }}
),

replies as (
    select * from {{ ref('int_tickets_replies_aggregated') }}
    where {{ in_changed_tickets() }}
),

contacts as (
    select * from {{ ref('int_tickets_contacts_sequenced') }}
),

{# Solves and reopens counted from the status history, where there is one. #}
histories as (
    select
        ticket_id,
        sum(
            case
                when status = 'solved' and coalesce(previous_status, '') <> 'solved' then 1 else 0
            end
        ) as history_solve_count,
        sum(
            case
                when status in ('new', 'open', 'pending', 'hold')
                    and previous_status in ('solved', 'closed') then 1
                else 0
            end
        ) as history_reopen_count
    from {{ ref('int_ticket_status_spans') }}
    where {{ in_changed_tickets() }}
    group by ticket_id
),

ranked_responses as (
    select
        ticket_id,
        survey_type,
        score,
        {# A ticket rated twice keeps its latest rating. -#}
        row_number() over (
            partition by ticket_id, survey_type
            order by responded_at desc, response_id desc
        ) as response_rank
    from {{ ref('int_surveys_checked') }}
    where
        ticket_id is not null
        and rejection_reasons is null
        and responded_at <= (select as_of.as_of_at from as_of)
        and {{ in_changed_tickets() }}
),

ticket_scores as (
    select
        ticket_id,
        max(case when survey_type = 'csat' then score end) as csat_score,
        max(case when survey_type = 'nps' then score end) as nps_score
    from ranked_responses
    where response_rank = 1
    group by ticket_id
),

joined as (
    select
        tickets.ticket_id,
        tickets.customer_id,
        tickets.channel,
        tickets.category,
        tickets.priority,
        case
            when {{ looks_like_personal_data('tickets.assignee_id') }}
                then 'agent-' || {{ pseudonymize('tickets.assignee_id') }}
            else tickets.assignee_id
        end as agent_id,
        tickets.status,
        {{ minutes_between('tickets.created_at', 'replies.first_responded_at') }}
            as first_response_minutes,
        coalesce(replies.agent_reply_count, 0) as agent_reply_count,
        coalesce(replies.bot_message_count, 0) as bot_message_count,
        coalesce(replies.answered_customer_turns, 0) as answered_customer_turns,
        coalesce(replies.customer_wait_seconds, 0) as customer_wait_seconds,
        case
            when tickets.is_solved
                then {{ minutes_between('tickets.created_at', 'tickets.solved_at') }}
        end as resolution_minutes,
        ticket_scores.csat_score,
        ticket_scores.nps_score,
        tickets.is_solved,
        tickets.is_solved and coalesce(replies.agent_reply_count, 0) = 1 as is_one_touch,
        tickets.is_solved and coalesce(replies.agent_reply_count, 0) = 0 as is_self_served,
        histories.history_solve_count,
        histories.history_reopen_count,
        tickets.reopen_count > 0
        or coalesce(replies.last_customer_message_at > tickets.solved_at, false)
        or coalesce(histories.history_reopen_count > 0, false) as is_reopened,
        tickets.is_abandoned,
        tickets.is_escalated,
        coalesce(contacts.is_repeat_contact, false) as is_repeat_contact,
        coalesce(contacts.is_followed_by_repeat_contact, false) as is_followed_by_repeat_contact,
        tickets.created_at,
        replies.first_responded_at,
        tickets.solved_at
    from tickets
    left join replies
        on tickets.ticket_id = replies.ticket_id
    left join contacts
        on tickets.ticket_id = contacts.ticket_id
    left join ticket_scores
        on tickets.ticket_id = ticket_scores.ticket_id
    left join histories
        on tickets.ticket_id = histories.ticket_id
),

final as (
    select
        ticket_id,
        customer_id,
        channel,
        category,
        priority,
        agent_id,
        status,
        cast(first_response_minutes as {{ type_double() }}) as first_response_minutes,
        cast(agent_reply_count as {{ dbt.type_int() }}) as agent_reply_count,
        cast(bot_message_count as {{ dbt.type_int() }}) as bot_message_count,
        cast(answered_customer_turns as {{ dbt.type_int() }}) as answered_customer_turns,
        cast(customer_wait_seconds as {{ dbt.type_bigint() }}) as customer_wait_seconds,
        cast(resolution_minutes as {{ type_double() }}) as resolution_minutes,
        cast(csat_score as {{ dbt.type_int() }}) as csat_score,
        cast(nps_score as {{ dbt.type_int() }}) as nps_score,
        cast(history_solve_count as {{ dbt.type_int() }}) as history_solve_count,
        cast(history_reopen_count as {{ dbt.type_int() }}) as history_reopen_count,
        is_solved,
        is_one_touch,
        is_self_served,
        is_reopened,
        is_abandoned,
        is_escalated,
        is_repeat_contact,
        is_solved and not is_reopened and not is_followed_by_repeat_contact
            as is_first_contact_resolved,
        created_at,
        first_responded_at,
        solved_at
    from joined
)

select * from final
