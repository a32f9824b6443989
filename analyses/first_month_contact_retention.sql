{# Do customers who needed support in their first month stay as long as
   those who did not? Per quarter of the first purchase and group
   (contacted support within 30 days of the first purchase, or not): the
   customers, and the share who purchased again within 90, 180 and 365
   days of the first purchase, each among the customers whose window has
   ended by the as-of date (null while nobody's has). #}

with

purchases as (
    select * from {{ ref('int_customer_purchases') }}
),

tickets as (
    select
        customer_id,
        {{ to_reporting_date('created_at') }} as contact_date
    from {{ ref('fct_tickets') }}
    where customer_id is not null
),

as_of as (
    select as_of_date from {{ ref('int_build_as_of') }}
),

first_purchases as (
    select
        customer_id,
        min(order_date) as first_order_date
    from purchases
    group by customer_id
),

early_contacts as (
    select distinct first_purchases.customer_id
    from first_purchases
    inner join tickets
        on
            first_purchases.customer_id = tickets.customer_id
            and first_purchases.first_order_date <= tickets.contact_date
            and {{ add_days(30, 'first_purchases.first_order_date') }} > tickets.contact_date
),

later_purchases as (
    select
        first_purchases.customer_id,
        min(purchases.order_date) as second_order_date
    from first_purchases
    inner join purchases
        on
            first_purchases.customer_id = purchases.customer_id
            and first_purchases.first_order_date < purchases.order_date
    group by first_purchases.customer_id
),

customers as (
    select
        first_purchases.customer_id,
        {{ period_start('quarter', 'first_purchases.first_order_date') }} as cohort_quarter,
        early_contacts.customer_id is not null as has_contacted_in_first_month,
        {{ dbt.datediff(
            'first_purchases.first_order_date', 'later_purchases.second_order_date', 'day'
        ) }} as days_to_second_order,
        {{ dbt.datediff('first_purchases.first_order_date', 'as_of.as_of_date', 'day') }}
            as days_observed
    from first_purchases
    cross join as_of
    left join early_contacts
        on first_purchases.customer_id = early_contacts.customer_id
    left join later_purchases
        on first_purchases.customer_id = later_purchases.customer_id
)

select
    cohort_quarter,
    has_contacted_in_first_month,
    count(*) as customers,
    round(
        {{ percent_where('days_to_second_order <= 90', among='days_observed >= 90') }}, 1
    ) as repurchased_90d_pct,
    round(
        {{ percent_where('days_to_second_order <= 180', among='days_observed >= 180') }}, 1
    ) as repurchased_180d_pct,
    round(
        {{ percent_where('days_to_second_order <= 365', among='days_observed >= 365') }}, 1
    ) as repurchased_365d_pct
from customers
group by cohort_quarter, has_contacted_in_first_month
order by cohort_quarter, has_contacted_in_first_month
