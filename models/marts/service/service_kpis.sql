with

periods as (
    select * from {{ ref('int_reporting_periods') }}
),

kpis as (
    select * from {{ ref('int_service_kpis_aggregated') }}
),

service_levels as (
    select * from {{ ref('int_service_levels_assigned') }}
),

tickets as (
    select
        channel,
        created_at
    from {{ ref('fct_tickets') }}
),

channels as (
    select distinct channel from tickets
    union
    select 'all' as channel
),

first_ticket as (
    select min({{ to_reporting_date('created_at') }}) as first_date
    from tickets
),

{# Every period from the first ticket to the as-of date, for every channel
    seen, so a quiet period shows 0 tickets instead of a gap. #}
spine as (
    select
        periods.period_grain,
        periods.period_start,
        channels.channel
    from periods
    cross join channels
    cross join first_ticket
    where periods.period_end >= first_ticket.first_date
),

final as (
    select
        spine.period_grain,
        spine.period_start,
        spine.channel,
        cast(coalesce(kpis.tickets, 0) as {{ dbt.type_bigint() }}) as tickets,
        cast(kpis.mean_first_response_minutes as {{ type_double() }})
            as mean_first_response_minutes,
        cast(kpis.median_first_response_minutes as {{ type_double() }})
            as median_first_response_minutes,
        cast(kpis.p90_first_response_minutes as {{ type_double() }}) as p90_first_response_minutes,
        cast(kpis.mean_response_minutes as {{ type_double() }}) as mean_response_minutes,
        cast(coalesce(kpis.tickets_solved, 0) as {{ dbt.type_bigint() }}) as tickets_solved,
        cast(kpis.mean_resolution_minutes as {{ type_double() }}) as mean_resolution_minutes,
        cast(kpis.mean_first_response_business_minutes as {{ type_double() }})
            as mean_first_response_business_minutes,
        cast(kpis.median_first_response_business_minutes as {{ type_double() }})
            as median_first_response_business_minutes,
        cast(kpis.mean_resolution_business_minutes as {{ type_double() }})
            as mean_resolution_business_minutes,
        cast(kpis.median_resolution_business_minutes as {{ type_double() }})
            as median_resolution_business_minutes,
        cast(kpis.first_response_sla_pct as {{ type_double() }})
            as first_response_sla_pct,
        cast(kpis.resolution_sla_pct as {{ type_double() }})
            as resolution_sla_pct,
        cast(kpis.one_touch_resolution_pct as {{ type_double() }}) as one_touch_resolution_pct,
        cast(kpis.first_contact_resolution_pct as {{ type_double() }})
            as first_contact_resolution_pct,
        cast(kpis.self_service_pct as {{ type_double() }}) as self_service_pct,
        cast(kpis.abandonment_pct as {{ type_double() }}) as abandonment_pct,
        cast(kpis.escalation_pct as {{ type_double() }}) as escalation_pct,
        cast(kpis.repeat_contact_pct as {{ type_double() }}) as repeat_contact_pct,
        cast(kpis.csat_pct as {{ type_double() }}) as csat_pct,
        cast(kpis.csat_mean_score as {{ type_double() }}) as csat_mean_score,
        cast(coalesce(kpis.csat_responses, 0) as {{ dbt.type_bigint() }}) as csat_responses,
        cast(kpis.nps as {{ type_double() }}) as nps,
        cast(coalesce(kpis.nps_responses, 0) as {{ dbt.type_bigint() }}) as nps_responses,
        service_levels.service_level,
        cast(service_levels.service_level_rank as {{ dbt.type_int() }}) as service_level_rank
    from spine
    left join kpis
        on
            spine.period_grain = kpis.period_grain
            and spine.period_start = kpis.period_start
            and spine.channel = kpis.channel
    left join service_levels
        on
            spine.period_grain = service_levels.period_grain
            and spine.period_start = service_levels.period_start
            and spine.channel = service_levels.channel
)

select * from final
