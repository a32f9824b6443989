{# The agents of a period (with 'unassigned') add up to service_kpis: tickets
   and tickets solved to the 'all' row, CSAT responses to the sum of the
   channel rows (the 'all' row also counts responses without a ticket). #}

with

kpis as (
    select * from {{ ref('service_kpis') }}
),

agents as (
    select * from {{ ref('agent_performance') }}
),

kpi_totals as (
    select
        period_grain,
        period_start,
        sum(case when channel = 'all' then tickets else 0 end) as tickets,
        sum(case when channel = 'all' then tickets_solved else 0 end) as tickets_solved,
        sum(case when channel != 'all' then csat_responses else 0 end) as csat_responses
    from kpis
    group by period_grain, period_start
),

agent_totals as (
    select
        period_grain,
        period_start,
        sum(tickets_handled) as tickets,
        sum(tickets_solved) as tickets_solved,
        sum(csat_responses) as csat_responses
    from agents
    group by period_grain, period_start
)

select
    coalesce(kpi_totals.period_grain, agent_totals.period_grain) as period_grain,
    coalesce(kpi_totals.period_start, agent_totals.period_start) as period_start,
    kpi_totals.tickets,
    agent_totals.tickets as agent_tickets,
    kpi_totals.tickets_solved,
    agent_totals.tickets_solved as agent_tickets_solved,
    kpi_totals.csat_responses,
    agent_totals.csat_responses as agent_csat_responses
from kpi_totals
full outer join agent_totals
    on
        kpi_totals.period_grain = agent_totals.period_grain
        and kpi_totals.period_start = agent_totals.period_start
where
    coalesce(kpi_totals.tickets, 0) != coalesce(agent_totals.tickets, 0)
    or coalesce(kpi_totals.tickets_solved, 0) != coalesce(agent_totals.tickets_solved, 0)
    or coalesce(kpi_totals.csat_responses, 0) != coalesce(agent_totals.csat_responses, 0)
