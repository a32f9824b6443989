{# One row per period grain and period from the first purchase to the
    as-of date: customers active at the start (the day before the period),
    new, active at the end (the period's last day, or the as-of date for the
    current period), reactivated and churned. Only customers whose activity
    changes inside a period can be churned or reactivated there, so those
    are found from the span boundaries instead of every customer x period.
    On a daily load the pre-hook deletes the periods ending on or after the
    earliest day a purchase can have changed (retention_recompute_from),
    and only the periods missing from the table are computed again; earlier
    periods read no purchase that changed. #}

{%- set model_config = incremental_by(['period_grain', 'period_start']) %}
{%- if model_config.materialized == 'incremental' %}
    {%- do model_config.update({'pre_hook':
        "{% if is_incremental() %}delete from {{ this }} where period_start >= "
        ~ "{{ period_start_for_grain('period_grain', retention_recompute_from()) }}{% endif %}"}) %}
{%- endif %}
{{ config(**model_config) }}

-- depends_on: {{ ref('base_shop__orders') }}

{%- set recomputed_periods = 'true' %}
{%- if is_incremental() %}
    {%- set recomputed_periods = 'not exists (select 1 from ' ~ this ~ ' as kept'
        ~ ' where kept.period_grain = periods.period_grain'
        ~ ' and kept.period_start = periods.period_start)' %}
{%- endif %}

with

as_of as (
    select * from {{ ref('int_build_as_of') }}
),

periods as (
    select
        reporting_periods.period_grain,
        reporting_periods.period_start,
        reporting_periods.period_end,
        {{ add_days(-1, 'reporting_periods.period_start') }} as start_day,
        case
            when reporting_periods.is_complete then reporting_periods.period_end
            else as_of.as_of_date
        end as end_day
    from {{ ref('int_reporting_periods') }} as reporting_periods
    cross join as_of
),

spans as (
    select * from {{ ref('int_customer_activity_spans') }}
),

customers as (
    select distinct
        customer_id,
        first_order_date
    from spans
),

first_purchase as (
    select min(first_order_date) as first_date from customers
),

reported_periods as (
    select periods.*
    from periods
    cross join first_purchase
    where
        periods.period_end >= first_purchase.first_date
        and {{ recomputed_periods }}
),

{# The first day of the earliest period recomputed: purchases and span
    boundaries before it fall in no such period. #}
recomputed_from as (
    select min(period_start) as first_day from reported_periods
),

{# Customers active on each calendar day: +1 on a span's first day, -1
    on the day after its last, summed in date order. #}
span_edges as (
    select
        active_from as edge_day,
        1 as delta
    from spans
    union all
    select
        {{ add_days(1, 'active_until') }} as edge_day,
        -1 as delta
    from spans
),

daily_deltas as (
    select
        edge_day,
        sum(delta) as delta
    from span_edges
    group by edge_day
),

daily_active as (
    select
        calendar_days.calendar_date,
        sum(coalesce(daily_deltas.delta, 0)) over (
            order by calendar_days.calendar_date
            rows between unbounded preceding and current row
        ) as active_customers
    from {{ ref('int_calendar_days') }} as calendar_days
    left join daily_deltas
        on calendar_days.calendar_date = daily_deltas.edge_day
),

grains as (
    {{ period_grains_select(var('period_grains')) }}
),

{# Each customer's first purchase and each span boundary placed in its
    period of every grain first, so that periods join on equality. #}
first_purchase_periods as (
    select
        grains.period_grain,
        {{ period_start_for_grain('grains.period_grain', 'customers.first_order_date') }}
            as period_start,
        customers.first_order_date
    from customers
    cross join recomputed_from
    cross join grains
    where customers.first_order_date >= recomputed_from.first_day
),

new_customers as (
    select
        reported_periods.period_grain,
        reported_periods.period_start,
        count(*) as customers
    from first_purchase_periods
    inner join reported_periods
        on
            first_purchase_periods.period_grain = reported_periods.period_grain
            and first_purchase_periods.period_start = reported_periods.period_start
    where first_purchase_periods.first_order_date <= reported_periods.end_day
    group by reported_periods.period_grain, reported_periods.period_start
),

{# A customer's status can differ between a period's start and end only if
    one of their span boundaries (first active day, first inactive day)
    falls inside the period. #}
boundaries as (
    select
        customer_id,
        active_from as boundary_day
    from spans
    union
    select
        customer_id, {{ add_days(1, 'active_until') }} as boundary_day
    from spans
),

boundary_periods as (
    select
        boundaries.customer_id,
        boundaries.boundary_day,
        grains.period_grain,
        {{ period_start_for_grain('grains.period_grain', 'boundaries.boundary_day') }}
            as period_start
    from boundaries
    cross join recomputed_from
    cross join grains
    where boundaries.boundary_day >= recomputed_from.first_day
),

candidates as (
    select distinct
        boundary_periods.customer_id,
        reported_periods.period_grain,
        reported_periods.period_start,
        reported_periods.start_day,
        reported_periods.end_day
    from boundary_periods
    inner join reported_periods
        on
            boundary_periods.period_grain = reported_periods.period_grain
            and boundary_periods.period_start = reported_periods.period_start
    where boundary_periods.boundary_day <= reported_periods.end_day
),

candidate_status as (
    select
        candidates.period_grain,
        candidates.period_start,
        candidates.customer_id,
        max(spans.first_order_date) as first_order_date,
        max(case
            when candidates.start_day between spans.active_from and spans.active_until then 1 else 0
        end) as is_active_at_start,
        max(case
            when candidates.end_day between spans.active_from and spans.active_until then 1 else 0
        end) as is_active_at_end
    from candidates
    inner join spans
        on candidates.customer_id = spans.customer_id
    group by candidates.period_grain, candidates.period_start, candidates.customer_id
),

changes as (
    select
        period_grain,
        period_start,
        sum(case when is_active_at_start = 1 and is_active_at_end = 0 then 1 else 0 end)
            as customers_churned,
        sum(case
            when is_active_at_start = 0 and is_active_at_end = 1 and first_order_date < period_start
                then 1
            else 0
        end) as customers_reactivated
    from candidate_status
    group by period_grain, period_start
),

final as (
    select
        reported_periods.period_grain,
        reported_periods.period_start,
        reported_periods.end_day,
        coalesce(active_at_start.active_customers, 0) as customers_start,
        coalesce(new_customers.customers, 0) as customers_new,
        coalesce(active_at_end.active_customers, 0) as customers_end,
        coalesce(changes.customers_reactivated, 0) as customers_reactivated,
        coalesce(changes.customers_churned, 0) as customers_churned
    from reported_periods
    left join daily_active as active_at_start
        on reported_periods.start_day = active_at_start.calendar_date
    left join daily_active as active_at_end
        on reported_periods.end_day = active_at_end.calendar_date
    left join new_customers
        on
            reported_periods.period_grain = new_customers.period_grain
            and reported_periods.period_start = new_customers.period_start
    left join changes
        on
            reported_periods.period_grain = changes.period_grain
            and reported_periods.period_start = changes.period_start
)

select * from final
