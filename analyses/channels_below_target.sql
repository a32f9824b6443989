{# Which channel missed which target last quarter, and by how much. #}

with

scorecard as (
    select * from {{ ref('kpi_scorecard') }}
    where period_grain = 'quarter'
),

last_quarter as (
    select max(period_start) as period_start
    from scorecard
)

select
    scorecard.channel,
    scorecard.kpi,
    scorecard.value,
    scorecard.target,
    scorecard.previous_value,
    scorecard.change_pct
from scorecard
inner join last_quarter
    on scorecard.period_start = last_quarter.period_start
where not scorecard.meets_target
order by scorecard.channel, scorecard.kpi
