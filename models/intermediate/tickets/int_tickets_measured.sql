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
    select replies_aggregated.*
    from {{ ref('int_tickets_replies_aggregated') }} as replies_aggregated
    where {{ in_changed_tickets('replies_aggregated.ticket_id') }}
),

contacts as (
    select contacts_sequenced.*
    from {{ ref('int_tickets_contacts_sequenced') }} as contacts_sequenced
    where {{ in_changed_tickets('contacts_sequenced.ticket_id') }}
),

{# Solves and reopens are counted from the status history, where there is one. #}
history_marks as (
    select
        status_spans.ticket_id,
        case
            when
                status_spans.status = 'solved'
                and coalesce(status_spans.previous_status, '') <> 'solved'
                then 1
            else 0
        end as solve_mark,
        case
            when status_spans.status in ('new', 'open', 'pending', 'hold')
                and status_spans.previous_status in ('solved', 'closed') then 1
            else 0
        end as reopen_mark
    from {{ ref('int_ticket_status_spans') }} as status_spans
    where {{ in_changed_tickets('status_spans.ticket_id') }}
),

ranked_responses as (
    select
        checked_responses.ticket_id,
        checked_responses.survey_type,
        checked_responses.score,
        {# A ticket rated twice keeps its latest rating. -#}
        row_number() over (
            partition by checked_responses.ticket_id, checked_responses.survey_type
            order by checked_responses.responded_at desc, checked_responses.response_id desc
        ) as response_rank
    from {{ ref('int_surveys_checked') }} as checked_responses
    where
        checked_responses.ticket_id is not null
        and checked_responses.rejection_reasons is null
        and checked_responses.responded_at <= (select as_of.as_of_at from as_of)
        and {{ in_changed_tickets('checked_responses.ticket_id') }}
),

{# What replies, contacts, ratings and the status history say of a ticket:
   one branch per source, its columns null in the other branches, folded
   into one row per ticket by one aggregate (max, or sum for the history's
   marks). Replies and contacts have one row per ticket, ratings one per
   ticket and survey type, the history one per status span. On DuckDB under
   a 6 GB memory limit, four hash joins here stopped the 10M-ticket build
   out of memory; the aggregate and its single join spill to disk. #}
{%- set signal_columns = [
    ('first_responded_at', dbt.type_timestamp(), 'max'),
    ('last_customer_message_at', dbt.type_timestamp(), 'max'),
    ('agent_reply_count', dbt.type_int(), 'max'),
    ('bot_message_count', dbt.type_int(), 'max'),
    ('answered_customer_turns', dbt.type_int(), 'max'),
    ('customer_wait_seconds', dbt.type_bigint(), 'max'),
    ('repeat_contact_mark', dbt.type_int(), 'max'),
    ('followed_by_repeat_mark', dbt.type_int(), 'max'),
    ('csat_score', dbt.type_int(), 'max'),
    ('nps_score', dbt.type_int(), 'max'),
    ('history_solve_count', dbt.type_int(), 'sum'),
    ('history_reopen_count', dbt.type_int(), 'sum'),
] %}
{%- set signal_sources = [
    ('replies', none, {
        'first_responded_at': 'first_responded_at',
        'last_customer_message_at': 'last_customer_message_at',
        'agent_reply_count': 'agent_reply_count',
        'bot_message_count': 'bot_message_count',
        'answered_customer_turns': 'answered_customer_turns',
        'customer_wait_seconds': 'customer_wait_seconds',
    }),
    ('contacts', none, {
        'repeat_contact_mark': 'case when is_repeat_contact then 1 else 0 end',
        'followed_by_repeat_mark': 'case when is_followed_by_repeat_contact then 1 else 0 end',
    }),
    ('ranked_responses', 'response_rank = 1', {
        'csat_score': "case when survey_type = 'csat' then score end",
        'nps_score': "case when survey_type = 'nps' then score end",
    }),
    ('history_marks', none, {
        'history_solve_count': 'solve_mark', 'history_reopen_count': 'reopen_mark'
    }),
] %}
{%- set folds = [] %}
{%- for column, data_type, fold in signal_columns %}
    {%- do folds.append(fold ~ '(' ~ column ~ ') as ' ~ column) %}
{%- endfor %}
ticket_signals as (
    {%- for source, condition, values in signal_sources %}
        {%- set projections = [] %}
        {%- for column, data_type, fold in signal_columns %}
            {%- do projections.append(
                'cast(' ~ values.get(column, 'null') ~ ' as ' ~ data_type ~ ') as ' ~ column) %}
        {%- endfor %}
        select
            ticket_id,
            {{ projections | join(',\n            ') }}
        from {{ source }}
        {%- if condition %}
            where {{ condition }}
        {%- endif %}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

signals as (
    select
        ticket_id,
        {{ folds | join(',\n        ') }}
    from ticket_signals
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
        {{ minutes_between('tickets.created_at', 'signals.first_responded_at') }}
            as first_response_minutes,
        coalesce(signals.agent_reply_count, 0) as agent_reply_count,
        coalesce(signals.bot_message_count, 0) as bot_message_count,
        coalesce(signals.answered_customer_turns, 0) as answered_customer_turns,
        coalesce(signals.customer_wait_seconds, 0) as customer_wait_seconds,
        case
            when tickets.is_solved
                then {{ minutes_between('tickets.created_at', 'tickets.solved_at') }}
        end as resolution_minutes,
        signals.csat_score,
        signals.nps_score,
        tickets.is_solved,
        tickets.is_solved and coalesce(signals.agent_reply_count, 0) = 1 as is_one_touch,
        tickets.is_solved and coalesce(signals.agent_reply_count, 0) = 0 as is_self_served,
        signals.history_solve_count,
        signals.history_reopen_count,
        tickets.reopen_count > 0
        or coalesce(signals.last_customer_message_at > tickets.solved_at, false)
        or coalesce(signals.history_reopen_count > 0, false) as is_reopened,
        tickets.is_abandoned,
        tickets.is_escalated,
        coalesce(signals.repeat_contact_mark = 1, false) as is_repeat_contact,
        coalesce(signals.followed_by_repeat_mark = 1, false) as is_followed_by_repeat_contact,
        tickets.created_at,
        signals.first_responded_at,
        tickets.solved_at
    from tickets
    left join signals
        on tickets.ticket_id = signals.ticket_id
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
