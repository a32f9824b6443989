{#- One row per channel ('all' too), weekday and hour of the day in the
    reporting time zone: tickets created in the var('heatmap_window_days')
    days up to the as-of date, their weekly average, median first response
    and the share answered within the first-response target. Every weekday
    and hour is present, quiet ones with 0 tickets. -#}

{%- set weekdays = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] %}

with

as_of as (
    select * from {{ ref('int_build_as_of') }}
),

tickets as (
    select * from {{ ref('fct_tickets') }}
),

window_bounds as (
    select
        {{ add_days(1 - var('heatmap_window_days'), 'as_of_date') }} as window_start_date,
        as_of_date as window_end_date
    from as_of
),

created as (
    select
        tickets.channel,
        {{ to_reporting_time('tickets.created_at') }} as created_local_at,
        tickets.first_response_minutes,
        tickets.is_first_response_breached
    from tickets
    cross join window_bounds
    where
        {{ to_reporting_date('tickets.created_at') }}
        between window_bounds.window_start_date and window_bounds.window_end_date
),

slotted as (
    select
        channel,
        {{ iso_weekday(dbt.cast('created_local_at', 'date')) }} as weekday_number,
        cast(extract(hour from created_local_at) as {{ dbt.type_int() }}) as hour_of_day,
        first_response_minutes,
        is_first_response_breached
    from created
),

scopes as (
    select 'channel' as scope
    union all
    select 'all' as scope
),

slot_metrics as (
    select
        case when scopes.scope = 'all' then 'all' else slotted.channel end as channel,
        slotted.weekday_number,
        slotted.hour_of_day,
        count(*) as tickets,
        {{ percentile('slotted.first_response_minutes', 0.5) }} as median_first_response_minutes,
        {{ percent_where(
            'not slotted.is_first_response_breached',
            among='slotted.is_first_response_breached is not null'
        ) }} as first_response_within_target_pct
    from slotted
    cross join scopes
    group by
        case when scopes.scope = 'all' then 'all' else slotted.channel end,
        slotted.weekday_number,
        slotted.hour_of_day
),

channels as (
    select distinct channel from tickets
    union
    select 'all' as channel
),

hours as (
    select series.n as hour_of_day
    from ({{ integer_series(2) }}) as series
    where series.n < 24
),

weekdays as (
    {%- for weekday in weekdays %}
        select
            {{ loop.index }} as weekday_number,
            '{{ weekday }}' as weekday_name
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

grid as (
    select
        channels.channel,
        weekdays.weekday_number,
        weekdays.weekday_name,
        hours.hour_of_day
    from channels
    cross join weekdays
    cross join hours
),

final as (
    select
        grid.channel,
        grid.weekday_name,
        cast(grid.weekday_number as {{ dbt.type_int() }}) as weekday_number,
        cast(grid.hour_of_day as {{ dbt.type_int() }}) as hour_of_day,
        cast(coalesce(slot_metrics.tickets, 0) as {{ dbt.type_bigint() }}) as tickets,
        cast(coalesce(slot_metrics.tickets, 0) as {{ type_double() }})
        * 7
        / {{ var('heatmap_window_days') }}
            as tickets_per_week,
        cast(slot_metrics.median_first_response_minutes as {{ type_double() }})
            as median_first_response_minutes,
        cast(slot_metrics.first_response_within_target_pct as {{ type_double() }})
            as first_response_within_target_pct,
        window_bounds.window_start_date,
        window_bounds.window_end_date
    from grid
    cross join window_bounds
    left join slot_metrics
        on
            grid.channel = slot_metrics.channel
            and grid.weekday_number = slot_metrics.weekday_number
            and grid.hour_of_day = slot_metrics.hour_of_day
)

select * from final
