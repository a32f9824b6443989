{#- One row per customer and unbroken span of activity. A purchase on day o
    makes the customer active from o to o + W - 1 (W =
    var('active_window_days'), the window ending on a day including it);
    overlapping or touching windows merge into one span. -#}

{{ config(**incremental_by(['customer_id', 'span_number'], per_customer=true)) }}

-- depends_on: {{ ref('int_customers_changed') }}

{%- set window_days = var('active_window_days') | int %}

with

purchase_days as (
    select distinct
        customer_purchases.customer_id,
        customer_purchases.order_date
    from {{ ref('int_customer_purchases') }} as customer_purchases
    where {{ in_changed_customers('customer_purchases.customer_id') }}
),

sequenced as (
    select
        customer_id,
        order_date,
        lag(order_date) over (
            partition by customer_id
            order by order_date
        ) as previous_order_date
    from purchase_days
),

flagged as (
    select
        customer_id,
        order_date,
        case
            when previous_order_date is null then 1
            when order_date > {{ add_days(window_days, 'previous_order_date') }} then 1
            else 0
        end as is_span_start
    from sequenced
),

numbered as (
    select
        customer_id,
        order_date,
        sum(is_span_start) over (
            partition by customer_id
            order by order_date
            rows between unbounded preceding and current row
        ) as span_number
    from flagged
),

spans as (
    select
        customer_id,
        span_number,
        min(order_date) as active_from,
        {{ add_days(window_days - 1, 'max(order_date)') }} as active_until
    from numbered
    group by customer_id, span_number
),

final as (
    select
        customer_id,
        span_number,
        min(active_from) over (partition by customer_id) as first_order_date,
        active_from,
        active_until
    from spans
)

select * from final
