{# Every grain counts the same tickets in total: the days, weeks, months and
   quarters of service_kpis partition the same set of tickets, which is
   every ticket of fct_tickets. #}

with

grain_totals as (
    select
        period_grain,
        sum(tickets) as tickets
    from {{ ref('service_kpis') }}
    where channel = 'all'
    group by period_grain
),

fact_total as (
    select count(*) as tickets from {{ ref('fct_tickets') }}
)

select
    grain_totals.period_grain,
    grain_totals.tickets,
    fact_total.tickets as fact_tickets
from grain_totals
cross join fact_total
where grain_totals.tickets != fact_total.tickets
