{# The monthly KPI table a support lead reads: every channel together, the
   latest months first, rates rounded for presentation only. #}

with

kpis as (
    select * from {{ ref('service_kpis') }}
    where period_grain = 'month' and channel = 'all'
)

select
    period_start,
    tickets,
    round(median_first_response_minutes, 1) as median_first_response_minutes,
    round(mean_response_minutes, 1) as mean_response_minutes,
    round(mean_resolution_minutes / 60, 1) as mean_resolution_hours,
    round(first_contact_resolution_pct, 1) as first_contact_resolution_pct,
    round(repeat_contact_pct, 1) as repeat_contact_pct,
    round(csat_pct, 1) as csat_pct,
    round(nps, 1) as nps
from kpis
order by period_start desc
