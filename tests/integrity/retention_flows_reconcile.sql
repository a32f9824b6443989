{# Customer flows reconcile in every period: end = start - churned +
   reactivated + new, as long as a new customer is still active at the end
   of the period they joined (an activity window at least as long as the
   longest period, a quarter). #}

{{ config(enabled=var('active_window_days') | int >= 92) }}

select *
from {{ ref('retention') }}
where
    customers_end
    != customers_start - customers_churned + customers_reactivated + customers_new
