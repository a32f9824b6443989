{#- One row per order that counts as a purchase (not cancelled, not voided,
    not a test) placed by the as-of instant, dated in the reporting time
    zone. -#}

{{ config(**incremental_by('order_id', per_customer=true)) }}

-- depends_on: {{ ref('int_customers_changed') }}

with

orders as (
    select * from {{ ref('stg_shop__orders') }}
),

purchases as (
    select
        orders.order_id,
        orders.customer_id,
        orders.total_amount,
        {{ to_reporting_date('orders.created_at') }} as order_date
    from orders
    cross join {{ ref('int_build_as_of') }} as as_of
    where
        orders.is_purchase
        and orders.created_at <= as_of.as_of_at
        and {{ in_changed_customers('orders.customer_id') }}
)

select * from purchases
