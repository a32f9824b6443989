{# Continuity: a period's customers_start equals the previous period's
   customers_end (the previous period always ends on the day before). #}

with

retention as (
    select
        period_grain,
        period_start,
        customers_start,
        customers_end,
        lag(customers_end) over (
            partition by period_grain
            order by period_start
        ) as previous_customers_end
    from {{ ref('retention') }}
)

select *
from retention
where
    previous_customers_end is not null
    and customers_start != previous_customers_end
