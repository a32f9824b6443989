{#- One row per day in the reporting time zone, from the first ticket or
    order to the as-of date. -#}

with

first_days as (
    select min({{ to_reporting_date('created_at') }}) as first_date
    from {{ ref('stg_helpdesk__tickets') }}
    union all
    select min({{ to_reporting_date('created_at') }}) as first_date
    from {{ ref('stg_shop__orders') }}
),

bounds as (
    select
        min(first_days.first_date) as first_date,
        min(as_of.as_of_date) as last_date
    from first_days
    cross join {{ ref('int_build_as_of') }} as as_of
),

numbers as (
    {{ integer_series(5) }}
),

days as (
    select {{ add_days('numbers.n', 'bounds.first_date') }} as calendar_date
    from numbers
    cross join bounds
    where numbers.n <= {{ dbt.datediff('bounds.first_date', 'bounds.last_date', 'day') }}
)

select * from days
