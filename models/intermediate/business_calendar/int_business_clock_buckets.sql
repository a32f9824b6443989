{#- One row per channel group, stretch of business time with business
    seconds in it, and day-sized bucket (86,400 business seconds) of the
    cumulative clock that the stretch overlaps: the lookup table for "when
    does the clock reach this many business seconds", joined on channel
    group and bucket (see the business_bucket macro). -#}

with

stretches as (
    select * from {{ ref('int_business_hours_merged') }}
    where open_seconds > 0
),

bounds as (
    select max({{ business_bucket('seconds_before + open_seconds') }}) as last_bucket
    from stretches
),

numbers as (
    select series.n
    from ({{ integer_series(5) }}) as series
    cross join bounds
    where series.n <= bounds.last_bucket
),

final as (
    select
        stretches.channel_group,
        numbers.n as clock_bucket,
        stretches.open_seconds,
        stretches.seconds_before,
        stretches.opened_at,
        stretches.closed_at
    from stretches
    inner join numbers
        on
            numbers.n >= {{ business_bucket('stretches.seconds_before') }}
            and numbers.n
            <= {{ business_bucket('stretches.seconds_before + stretches.open_seconds') }}
)

select * from final
