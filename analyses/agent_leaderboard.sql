{# How did each agent do in the latest complete quarter? The figures the
   team incentives reward - first-response SLA attainment, resolution time
   and CSAT - with each agent's rank on them (1 is best; ties share a rank).
   Unassigned tickets are left out. #}

with

agents as (
    select * from {{ ref('agent_performance') }}
    where period_grain = 'quarter' and agent_id != 'unassigned'
),

latest_quarter as (
    select max(period_start) as period_start
    from {{ ref('int_reporting_periods') }}
    where period_grain = 'quarter' and is_complete
)

select
    agents.agent_id,
    agents.tickets_handled,
    agents.agent_replies,
    round(agents.median_first_response_minutes, 1) as median_first_response_minutes,
    round(agents.first_response_sla_pct, 1) as first_response_sla_pct,
    round(agents.mean_resolution_minutes / 60, 1) as mean_resolution_hours,
    round(agents.one_touch_resolution_pct, 1) as one_touch_resolution_pct,
    round(agents.reopen_pct, 1) as reopen_pct,
    agents.csat_responses,
    round(agents.csat_pct, 1) as csat_pct,
    rank() over (order by agents.first_response_sla_pct desc nulls last) as sla_rank,
    rank() over (order by agents.mean_resolution_minutes asc nulls last) as resolution_rank,
    rank() over (order by agents.csat_pct desc nulls last) as csat_rank
from agents
inner join latest_quarter
    on agents.period_start = latest_quarter.period_start
order by agents.first_response_sla_pct desc nulls last, agents.agent_id asc
