{#- One row per order that counts as a purchase (not cancelled, not voided,
    not a test), dated in the reporting time zone. -#}

with

orders as (
    select * from {{ ref('stg_shop__orders') }}
),

purchases as (
    select
        order_id,
        customer_id,
        total_amount,
        {{ to_reporting_date('created_at') }} as order_date
    from orders
    where is_purchase
)

select * from purchases
