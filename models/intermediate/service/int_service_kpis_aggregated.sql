{#- One row per period grain, period and channel (each canonical channel and
    'all') that had an event: the KPI figures of kpi-definitions.md, each
    attributed to the period of its own event (creation, final solve,
    survey response). Survey responses without a ticket count in 'all' only.
    Durations are summed as whole seconds: exact, so every build gives the
    same figures to the last bit. -#}

{%- set grains = var('period_grains') %}

with

tickets as (
    select
        *,
        {{ to_reporting_date('created_at') }} as created_date,
        {{ to_reporting_date('solved_at') }} as solved_date
    from {{ ref('fct_tickets') }}
),

responses as (
    select checked_responses.*
    from {{ ref('int_surveys_checked') }} as checked_responses
    cross join {{ ref('int_build_as_of') }} as as_of
    where checked_responses.rejection_reasons is null
        and checked_responses.responded_at <= as_of.as_of_at
),

surveys as (
    select
        responses.survey_type,
        responses.score,
        tickets.channel,
        {{ to_reporting_date('responses.responded_at') }} as responded_date
    from responses
    left join tickets
        on responses.ticket_id = tickets.ticket_id
),

grains as (
    {{ period_grains_select(grains) }}
),

scopes as (
    select 'channel' as scope
    union all
    select 'all' as scope
),

created_in_period as (
    select
        grains.period_grain,
        {{ period_start_for_grain('grains.period_grain', 'tickets.created_date') }} as period_start,
        case when scopes.scope = 'all' then 'all' else tickets.channel end as channel,
        tickets.first_response_minutes,
        {{ dbt.datediff('tickets.created_at', 'tickets.first_responded_at', 'second') }}
            as first_response_seconds,
        tickets.first_response_business_minutes,
        cast(round(tickets.first_response_business_minutes * 60) as {{ dbt.type_bigint() }})
            as first_response_business_seconds,
        tickets.answered_customer_turns,
        tickets.customer_wait_seconds,
        tickets.is_first_response_breached,
        tickets.is_resolution_breached,
        tickets.is_solved,
        tickets.is_one_touch,
        tickets.is_first_contact_resolved,
        tickets.is_self_served,
        tickets.is_abandoned,
        tickets.is_escalated,
        tickets.is_repeat_contact
    from tickets
    cross join grains
    cross join scopes
),

created_metrics as (
    select
        period_grain,
        period_start,
        channel,
        count(*) as tickets,
        cast(sum(first_response_seconds) as {{ type_double() }}) / 60
        / nullif(count(first_response_seconds), 0) as mean_first_response_minutes,
        {{ percentile('first_response_minutes', 0.5) }} as median_first_response_minutes,
        {{ percentile('first_response_minutes', 0.9) }} as p90_first_response_minutes,
        cast(sum(first_response_business_seconds) as {{ type_double() }}) / 60
        / nullif(count(first_response_business_seconds), 0)
            as mean_first_response_business_minutes,
        {{ percentile('first_response_business_minutes', 0.5) }}
            as median_first_response_business_minutes,
        {{ percent_where(
            'not is_first_response_breached', among='is_first_response_breached is not null'
        ) }} as first_response_sla_pct,
        {{ percent_where(
            'not is_resolution_breached', among='is_resolution_breached is not null'
        ) }} as resolution_sla_pct,
        cast(sum(customer_wait_seconds) as {{ type_double() }}) / 60
        / nullif(sum(answered_customer_turns), 0) as mean_response_minutes,
        {{ percent_where('is_one_touch') }} as one_touch_resolution_pct,
        {{ percent_where('is_first_contact_resolved', among='is_solved') }}
            as first_contact_resolution_pct,
        {{ percent_where('is_self_served') }} as self_service_pct,
        {{ percent_where('is_abandoned') }} as abandonment_pct,
        {{ percent_where('is_escalated') }} as escalation_pct,
        {{ percent_where('is_repeat_contact') }} as repeat_contact_pct
    from created_in_period
    group by period_grain, period_start, channel
),

solved_in_period as (
    select
        grains.period_grain,
        {{ period_start_for_grain('grains.period_grain', 'tickets.solved_date') }} as period_start,
        case when scopes.scope = 'all' then 'all' else tickets.channel end as channel,
        {{ dbt.datediff('tickets.created_at', 'tickets.solved_at', 'second') }}
            as resolution_seconds,
        tickets.resolution_business_minutes,
        cast(round(tickets.resolution_business_minutes * 60) as {{ dbt.type_bigint() }})
            as resolution_business_seconds
    from tickets
    cross join grains
    cross join scopes
    where tickets.is_solved and tickets.solved_date is not null
),

solved_metrics as (
    select
        period_grain,
        period_start,
        channel,
        count(*) as tickets_solved,
        cast(sum(resolution_seconds) as {{ type_double() }}) / 60 / count(*)
            as mean_resolution_minutes,
        cast(sum(resolution_business_seconds) as {{ type_double() }}) / 60
        / nullif(count(resolution_business_seconds), 0) as mean_resolution_business_minutes,
        {{ percentile('resolution_business_minutes', 0.5) }}
            as median_resolution_business_minutes
    from solved_in_period
    group by period_grain, period_start, channel
),

responded_in_period as (
    select
        grains.period_grain,
        {{ period_start_for_grain('grains.period_grain', 'surveys.responded_date') }}
            as period_start,
        case when scopes.scope = 'all' then 'all' else surveys.channel end as channel,
        surveys.survey_type,
        surveys.score
    from surveys
    cross join grains
    cross join scopes
    where scopes.scope = 'all' or surveys.channel is not null
),

survey_metrics as (
    select
        period_grain,
        period_start,
        channel,
        {{ percent_where('score >= 4', among="survey_type = 'csat'") }} as csat_pct,
        avg(case when survey_type = 'csat' then score end) as csat_mean_score,
        sum(case when survey_type = 'csat' then 1 else 0 end) as csat_responses,
        {{ percent_where('score >= 9', among="survey_type = 'nps'") }}
        - {{ percent_where('score <= 6', among="survey_type = 'nps'") }} as nps,
        sum(case when survey_type = 'nps' then 1 else 0 end) as nps_responses
    from responded_in_period
    group by period_grain, period_start, channel
),

period_keys as (
    select
        period_grain,
        period_start,
        channel
    from created_metrics
    union
    select
        period_grain,
        period_start,
        channel
    from solved_metrics
    union
    select
        period_grain,
        period_start,
        channel
    from survey_metrics
),

final as (
    select
        period_keys.period_grain,
        period_keys.period_start,
        period_keys.channel,
        coalesce(created_metrics.tickets, 0) as tickets,
        created_metrics.mean_first_response_minutes,
        created_metrics.median_first_response_minutes,
        created_metrics.p90_first_response_minutes,
        created_metrics.mean_response_minutes,
        coalesce(solved_metrics.tickets_solved, 0) as tickets_solved,
        solved_metrics.mean_resolution_minutes,
        created_metrics.mean_first_response_business_minutes,
        created_metrics.median_first_response_business_minutes,
        solved_metrics.mean_resolution_business_minutes,
        solved_metrics.median_resolution_business_minutes,
        created_metrics.first_response_sla_pct,
        created_metrics.resolution_sla_pct,
        created_metrics.one_touch_resolution_pct,
        created_metrics.first_contact_resolution_pct,
        created_metrics.self_service_pct,
        created_metrics.abandonment_pct,
        created_metrics.escalation_pct,
        created_metrics.repeat_contact_pct,
        survey_metrics.csat_pct,
        survey_metrics.csat_mean_score,
        coalesce(survey_metrics.csat_responses, 0) as csat_responses,
        survey_metrics.nps,
        coalesce(survey_metrics.nps_responses, 0) as nps_responses
    from period_keys
    left join created_metrics
        on
            period_keys.period_grain = created_metrics.period_grain
            and period_keys.period_start = created_metrics.period_start
            and period_keys.channel = created_metrics.channel
    left join solved_metrics
        on
            period_keys.period_grain = solved_metrics.period_grain
            and period_keys.period_start = solved_metrics.period_start
            and period_keys.channel = solved_metrics.channel
    left join survey_metrics
        on
            period_keys.period_grain = survey_metrics.period_grain
            and period_keys.period_start = survey_metrics.period_start
            and period_keys.channel = survey_metrics.channel
)

select * from final
