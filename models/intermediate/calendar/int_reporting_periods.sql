{#- One row per period grain and period (ISO weeks start on Monday) that
    overlaps the calendar, with its last day and whether it has ended by the
    as-of date. -#}

with

days as (
    select * from {{ ref('int_calendar_days') }}
),

as_of as (
    select * from {{ ref('int_build_as_of') }}
),

grains as (
    {{ period_grains_select(var('period_grains')) }}
),

period_starts as (
    select distinct
        grains.period_grain,
        {{ period_start_for_grain('grains.period_grain', 'days.calendar_date') }} as period_start
    from days
    cross join grains
),

periods as (
    select
        period_starts.period_grain,
        period_starts.period_start,
        case period_starts.period_grain
            when 'day' then period_starts.period_start
            when 'week' then {{ add_days(6, 'period_starts.period_start') }}
            when 'month'
                then {{ add_days(-1, dbt.dateadd('month', 1, 'period_starts.period_start')) }}
            when 'quarter'
                then {{ add_days(-1, dbt.dateadd('month', 3, 'period_starts.period_start')) }}
        end as period_end
    from period_starts
),

final as (
    select
        periods.period_grain,
        periods.period_start,
        periods.period_end,
        periods.period_end <= as_of.as_of_date as is_complete
    from periods
    cross join as_of
)

select * from final
