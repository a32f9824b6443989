{#- One row per period grain, period and canonical channel with an answered
    ticket: the best service-level tier whose every bound holds
    (seeds/service_level_thresholds.csv), else 'unacceptable'. The median
    first response is compared strictly ("under") or inclusively ("within")
    as the seed says; the CSAT bound is skipped when the channel had no CSAT
    response. 'all' and channels whose group has no thresholds get no tier. -#}

with

kpis as (
    select * from {{ ref('int_service_kpis_aggregated') }}
    where channel != 'all' and median_first_response_minutes is not null
),

channels as (
    select * from {{ ref('channels') }}
),

thresholds as (
    select * from {{ ref('service_level_thresholds') }}
),

graded_groups as (
    select distinct channel_group from thresholds
),

graded as (
    select
        kpis.period_grain,
        kpis.period_start,
        kpis.channel,
        thresholds.service_level_rank,
        thresholds.service_level
    from kpis
    inner join channels
        on kpis.channel = channels.channel
    inner join thresholds
        on channels.channel_group = thresholds.channel_group
    where
        (
            kpis.median_first_response_minutes < thresholds.max_median_first_response_minutes
            or (
                thresholds.is_bound_inclusive
                and kpis.median_first_response_minutes
                = thresholds.max_median_first_response_minutes
            )
        )
        and (
            kpis.csat_responses = 0
            or kpis.csat_mean_score >= thresholds.min_csat_mean_score
        )
),

best as (
    select
        period_grain,
        period_start,
        channel,
        service_level,
        service_level_rank,
        row_number() over (
            partition by period_grain, period_start, channel
            order by service_level_rank desc
        ) as tier_order
    from graded
),

final as (
    select
        kpis.period_grain,
        kpis.period_start,
        kpis.channel,
        coalesce(best.service_level, 'unacceptable') as service_level,
        coalesce(best.service_level_rank, 1) as service_level_rank
    from kpis
    inner join channels
        on kpis.channel = channels.channel
    inner join graded_groups
        on channels.channel_group = graded_groups.channel_group
    left join best
        on
            kpis.period_grain = best.period_grain
            and kpis.period_start = best.period_start
            and kpis.channel = best.channel
            and best.tier_order = 1
)

select * from final
