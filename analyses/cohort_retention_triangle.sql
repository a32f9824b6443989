{# The cohort triangle pivoted for a spreadsheet: one row per cohort month,
   one column per month since the first purchase (first year). #}

with

cohorts as (
    select * from {{ ref('retention_cohorts') }}
)

select
    cohort_month,
    max(cohort_customers) as cohort_customers,
    {%- for month in range(13) %}
        max(
            case when months_since_first_order = {{ month }} then round(retention_pct, 1) end
        ) as month_{{ month }}{% if not loop.last %},{% endif %}
    {%- endfor %}
from cohorts
group by cohort_month
order by cohort_month
