{#- One row per period grain, period start and agent with an event in the
    period. A ticket belongs wholly to its assignee in the latest export
    (agent_id of fct_tickets); tickets without one go to 'unassigned', so
    the agents of a period add up to service_kpis' 'all'. Each figure is
    attributed to its own event's period, as in service_kpis: the ticket's
    creation (tickets handled, replies, first response, one-touch, reopens,
    SLA attainment), its final solve (tickets solved, resolution time) and
    the survey response (CSAT, every response counted). -#}

{%- set grains = var('period_grains') %}

with

tickets as (
    select
        ticket_id,
        coalesce(agent_id, 'unassigned') as agent_id,
        agent_reply_count,
        first_response_minutes,
        is_solved,
        is_one_touch,
        is_reopened,
        is_first_response_breached,
        is_resolution_breached,
        created_at,
        solved_at,
        {{ to_reporting_date('created_at') }} as created_date,
        {{ to_reporting_date('solved_at') }} as solved_date
    from {{ ref('fct_tickets') }}
),

responses as (
    select checked_responses.*
    from {{ ref('int_surveys_checked') }} as checked_responses
    cross join {{ ref('int_build_as_of') }} as as_of
    where
        checked_responses.rejection_reasons is null
        and checked_responses.survey_type = 'csat'
        and checked_responses.responded_at <= as_of.as_of_at
),

{# CSAT responses of tickets the warehouse holds, with the ticket's agent. #}
ratings as (
    select
        tickets.agent_id,
        responses.score,
        {{ to_reporting_date('responses.responded_at') }} as responded_date
    from responses
    inner join tickets
        on responses.ticket_id = tickets.ticket_id
),

grains as (
    {{ period_grains_select(grains) }}
),

created_in_period as (
    select
        grains.period_grain,
        {{ period_start_for_grain('grains.period_grain', 'tickets.created_date') }} as period_start,
        tickets.agent_id,
        tickets.agent_reply_count,
        tickets.first_response_minutes,
        tickets.is_one_touch,
        tickets.is_reopened,
        tickets.is_first_response_breached,
        tickets.is_resolution_breached
    from tickets
    cross join grains
),

created_metrics as (
    select
        period_grain,
        period_start,
        agent_id,
        count(*) as tickets_handled,
        sum(agent_reply_count) as agent_replies,
        {{ percentile('first_response_minutes', 0.5) }} as median_first_response_minutes,
        {{ percent_where('is_one_touch') }} as one_touch_resolution_pct,
        {{ percent_where('is_reopened') }} as reopen_pct,
        sum(case when is_first_response_breached is not null then 1 else 0 end)
            as first_response_sla_tickets,
        {{ percent_where(
            'not is_first_response_breached', among='is_first_response_breached is not null'
        ) }} as first_response_sla_pct,
        sum(case when is_resolution_breached is not null then 1 else 0 end)
            as resolution_sla_tickets,
        {{ percent_where(
            'not is_resolution_breached', among='is_resolution_breached is not null'
        ) }} as resolution_sla_pct
    from created_in_period
    group by period_grain, period_start, agent_id
),

solved_in_period as (
    select
        grains.period_grain,
        {{ period_start_for_grain('grains.period_grain', 'tickets.solved_date') }} as period_start,
        tickets.agent_id,
        {{ dbt.datediff('tickets.created_at', 'tickets.solved_at', 'second') }}
            as resolution_seconds
    from tickets
    cross join grains
    where tickets.is_solved and tickets.solved_date is not null
),

solved_metrics as (
    select
        period_grain,
        period_start,
        agent_id,
        count(*) as tickets_solved,
        cast(sum(resolution_seconds) as {{ type_double() }}) / 60 / count(*)
            as mean_resolution_minutes
    from solved_in_period
    group by period_grain, period_start, agent_id
),

rated_in_period as (
    select
        grains.period_grain,
        {{ period_start_for_grain('grains.period_grain', 'ratings.responded_date') }}
            as period_start,
        ratings.agent_id,
        ratings.score
    from ratings
    cross join grains
),

rating_metrics as (
    select
        period_grain,
        period_start,
        agent_id,
        count(*) as csat_responses,
        {{ percent_where('score >= 4') }} as csat_pct,
        avg(cast(score as {{ type_double() }})) as csat_mean_score
    from rated_in_period
    group by period_grain, period_start, agent_id
),

period_keys as (
    select
        period_grain,
        period_start,
        agent_id
    from created_metrics
    union
    select
        period_grain,
        period_start,
        agent_id
    from solved_metrics
    union
    select
        period_grain,
        period_start,
        agent_id
    from rating_metrics
),

final as (
    select
        period_keys.period_grain,
        period_keys.period_start,
        period_keys.agent_id,
        cast(coalesce(created_metrics.tickets_handled, 0) as {{ dbt.type_bigint() }})
            as tickets_handled,
        cast(coalesce(created_metrics.agent_replies, 0) as {{ dbt.type_bigint() }})
            as agent_replies,
        cast(created_metrics.median_first_response_minutes as {{ type_double() }})
            as median_first_response_minutes,
        cast(coalesce(solved_metrics.tickets_solved, 0) as {{ dbt.type_bigint() }})
            as tickets_solved,
        cast(solved_metrics.mean_resolution_minutes as {{ type_double() }})
            as mean_resolution_minutes,
        cast(created_metrics.one_touch_resolution_pct as {{ type_double() }})
            as one_touch_resolution_pct,
        cast(created_metrics.reopen_pct as {{ type_double() }}) as reopen_pct,
        cast(coalesce(created_metrics.first_response_sla_tickets, 0) as {{ dbt.type_bigint() }})
            as first_response_sla_tickets,
        cast(created_metrics.first_response_sla_pct as {{ type_double() }})
            as first_response_sla_pct,
        cast(coalesce(created_metrics.resolution_sla_tickets, 0) as {{ dbt.type_bigint() }})
            as resolution_sla_tickets,
        cast(created_metrics.resolution_sla_pct as {{ type_double() }}) as resolution_sla_pct,
        cast(coalesce(rating_metrics.csat_responses, 0) as {{ dbt.type_bigint() }})
            as csat_responses,
        cast(rating_metrics.csat_pct as {{ type_double() }}) as csat_pct,
        cast(rating_metrics.csat_mean_score as {{ type_double() }}) as csat_mean_score
    from period_keys
    left join created_metrics
        on
            period_keys.period_grain = created_metrics.period_grain
            and period_keys.period_start = created_metrics.period_start
            and period_keys.agent_id = created_metrics.agent_id
    left join solved_metrics
        on
            period_keys.period_grain = solved_metrics.period_grain
            and period_keys.period_start = solved_metrics.period_start
            and period_keys.agent_id = solved_metrics.agent_id
    left join rating_metrics
        on
            period_keys.period_grain = rating_metrics.period_grain
            and period_keys.period_start = rating_metrics.period_start
            and period_keys.agent_id = rating_metrics.agent_id
)

select * from final
