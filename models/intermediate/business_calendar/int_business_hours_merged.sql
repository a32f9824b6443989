{#- One row per channel group and stretch of continuous business time, in
    UTC, with the business seconds of all earlier stretches: the cumulative
    clock that business minutes are read from. Opening hours are wall-clock
    times in var('business_timezone') on each date from the day before the
    first ticket to var('business_calendar_horizon_days') after the as-of
    date, so every stretch follows that zone's daylight-saving changes. An
    interval that closes at or before it opens runs overnight into the next
    day; intervals that touch or overlap merge (a 24/7 group is one
    stretch). A holiday closes the intervals that open on its date. Each
    group also has a zero-length stretch at the start of the calendar, so
    that every instant of the calendar lies in the span of one stretch
    (from its opening to the next stretch's). -#}

{%- set weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] %}
{%- set timezone = var('business_timezone') %}

with

hours as (
    select * from {{ ref('business_hours') }}
),

holidays as (
    select * from {{ ref('holidays') }}
),

as_of as (
    select * from {{ ref('int_build_as_of') }}
),

first_ticket as (
    select min(created_at) as first_created_at
    from {{ ref('stg_helpdesk__tickets') }}
),

{%- set horizon = var('business_calendar_horizon_days') %}

dated_bounds as (
    select
        {{ add_days(-1, to_business_date('first_ticket.first_created_at')) }} as first_date,
        {{ add_days(horizon, to_business_date('as_of.as_of_at')) }} as last_date
    from first_ticket
    cross join as_of
),

bounds as (
    select
        first_date,
        last_date,
        {{ to_utc(dbt.cast(add_days(1, 'last_date'), dbt.type_timestamp()), timezone) }}
            as calendar_ends_at
    from dated_bounds
),

numbers as (
    {{ integer_series(5) }}
),

dates as (
    select {{ add_days('numbers.n', 'bounds.first_date') }} as business_date
    from numbers
    cross join bounds
    where numbers.n <= {{ dbt.datediff('bounds.first_date', 'bounds.last_date', 'day') }}
),

schedule as (
    select
        channel_group,
        case lower(trim(weekday))
            {%- for weekday in weekdays %}
                when '{{ weekday }}' then {{ loop.index }}
            {%- endfor %}
        end as iso_weekday,
        {{ clock_minutes('trim(opens)') }} as opens_minute,
        {{ clock_minutes('trim(closes)') }} as closes_minute
    from hours
),

{%- set midnight = dbt.cast('dates.business_date', dbt.type_timestamp()) %}

local_openings as (
    select
        schedule.channel_group,
        {{ dbt.dateadd('minute', 'schedule.opens_minute', midnight) }} as opens_local,
        {{ dbt.dateadd(
            'minute',
            'case when schedule.closes_minute <= schedule.opens_minute'
            ~ ' then schedule.closes_minute + 1440 else schedule.closes_minute end',
            midnight
        ) }} as closes_local
    from dates
    inner join schedule
        on {{ iso_weekday('dates.business_date') }} = schedule.iso_weekday
    left join holidays
        on
            dates.business_date = holidays.holiday_date
            and holidays.channel_group in (schedule.channel_group, '*')
    where holidays.holiday_date is null
),

openings as (
    select
        channel_group,
        {{ to_utc('opens_local', timezone) }} as opened_at,
        {{ to_utc('closes_local', timezone) }} as closed_at
    from local_openings
),

{# Gaps and islands: an opening starts a new stretch unless an earlier one
   of its group is still open when it opens. #}
flagged as (
    select
        channel_group,
        opened_at,
        closed_at,
        case
            when max(closed_at)
                    over (
                        partition by channel_group
                        order by opened_at, closed_at
                        rows between unbounded preceding and 1 preceding
                    )
                >= opened_at then 0
            else 1
        end as starts_stretch
    from openings
),

numbered as (
    select
        channel_group,
        opened_at,
        closed_at,
        sum(starts_stretch) over (
            partition by channel_group
            order by opened_at, closed_at
            rows between unbounded preceding and current row
        ) as stretch_number
    from flagged
),

stretches as (
    select
        channel_group,
        min(opened_at) as opened_at,
        max(closed_at) as closed_at
    from numbered
    group by channel_group, stretch_number
),

calendar_starts as (
    select
        hour_groups.channel_group,
        {{ to_utc(dbt.cast('bounds.first_date', dbt.type_timestamp()), timezone) }} as opened_at,
        {{ to_utc(dbt.cast('bounds.first_date', dbt.type_timestamp()), timezone) }} as closed_at
    from (select distinct channel_group from hours) as hour_groups
    cross join bounds
),

all_stretches as (
    select
        channel_group,
        opened_at,
        closed_at
    from stretches
    union all
    select
        channel_group,
        opened_at,
        closed_at
    from calendar_starts
),

final as (
    select
        all_stretches.channel_group,
        {{ dbt.datediff('all_stretches.opened_at', 'all_stretches.closed_at', 'second') }}
            as open_seconds,
        coalesce(
            sum({{ dbt.datediff('all_stretches.opened_at', 'all_stretches.closed_at', 'second') }})
                over (
                    partition by all_stretches.channel_group
                    order by all_stretches.opened_at, all_stretches.closed_at
                    rows between unbounded preceding and 1 preceding
                ),
            0
        ) as seconds_before,
        all_stretches.opened_at,
        all_stretches.closed_at,
        coalesce(
            lead(all_stretches.opened_at) over (
                partition by all_stretches.channel_group
                order by all_stretches.opened_at, all_stretches.closed_at
            ),
            greatest(all_stretches.closed_at, bounds.calendar_ends_at)
        ) as stretch_ends_at
    from all_stretches
    cross join bounds
)

select * from final
