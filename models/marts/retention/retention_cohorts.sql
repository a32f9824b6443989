with

purchases as (
    select
        *,
        {{ period_start('month', 'order_date') }} as order_month
    from {{ ref('int_customer_purchases') }}
),

as_of as (
    select {{ period_start('month', 'as_of_date') }} as as_of_month
    from {{ ref('int_build_as_of') }}
),

customers as (
    select
        customer_id,
        {{ period_start('month', 'min(order_date)') }} as cohort_month
    from purchases
    group by customer_id
),

cohorts as (
    select
        cohort_month,
        count(*) as cohort_customers
    from customers
    group by cohort_month
),

monthly_purchases as (
    select
        customers.cohort_month,
        {{ dbt.datediff('customers.cohort_month', 'purchases.order_month', 'month') }}
            as months_since_first_order,
        count(distinct purchases.customer_id) as active_customers,
        sum(purchases.total_amount) as revenue
    from purchases
    inner join customers
        on purchases.customer_id = customers.customer_id
    group by
        customers.cohort_month,
        {{ dbt.datediff('customers.cohort_month', 'purchases.order_month', 'month') }}
),

numbers as (
    {{ integer_series(3) }}
),

{# Every month from the cohort's first to the as-of month, so the triangle
    has no holes. #}
triangle as (
    select
        cohorts.cohort_month,
        cohorts.cohort_customers,
        numbers.n as months_since_first_order
    from cohorts
    cross join as_of
    inner join numbers
        on numbers.n <= {{ dbt.datediff('cohorts.cohort_month', 'as_of.as_of_month', 'month') }}
),

final as (
    select
        triangle.cohort_month,
        cast(triangle.months_since_first_order as {{ dbt.type_int() }}) as months_since_first_order,
        cast(triangle.cohort_customers as {{ dbt.type_bigint() }}) as cohort_customers,
        cast(coalesce(monthly_purchases.active_customers, 0) as {{ dbt.type_bigint() }})
            as active_customers,
        cast(
            100 * cast(coalesce(monthly_purchases.active_customers, 0) as {{ type_double() }})
            / triangle.cohort_customers
            as {{ type_double() }}
        ) as retention_pct,
        cast(
            sum(coalesce(monthly_purchases.revenue, 0)) over (
                partition by triangle.cohort_month
                order by triangle.months_since_first_order
                rows between unbounded preceding and current row
            ) as {{ type_double() }}
        ) / triangle.cohort_customers as cumulative_revenue_per_customer
    from triangle
    left join monthly_purchases
        on
            triangle.cohort_month = monthly_purchases.cohort_month
            and triangle.months_since_first_order = monthly_purchases.months_since_first_order
)

select * from final
