{#- One row per channel group, stretch of business time and UTC date that
    the stretch's span (from its opening to the next stretch's) touches:
    the lookup table for "which stretch holds this instant", joined on
    channel group and UTC date so that the join stays a hash join (see the
    business_clock_holds macro). -#}

with

stretches as (
    select * from {{ ref('int_business_hours_merged') }}
),

bounds as (
    select
        min(cast(opened_at as date)) as first_date,
        max(cast(stretch_ends_at as date)) as last_date
    from stretches
),

numbers as (
    {{ integer_series(5) }}
),

dates as (
    select {{ add_days('numbers.n', 'bounds.first_date') }} as clock_date
    from numbers
    cross join bounds
    where numbers.n <= {{ dbt.datediff('bounds.first_date', 'bounds.last_date', 'day') }}
),

final as (
    select
        stretches.channel_group,
        stretches.open_seconds,
        stretches.seconds_before,
        dates.clock_date,
        stretches.opened_at,
        stretches.closed_at,
        stretches.stretch_ends_at
    from stretches
    inner join dates
        on
            dates.clock_date >= cast(stretches.opened_at as date)
            and dates.clock_date <= cast(stretches.stretch_ends_at as date)
)

select * from final
