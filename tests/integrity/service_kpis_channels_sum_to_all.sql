{# Per-channel counts add up to the 'all' row in every period: tickets,
   tickets solved and CSAT responses (NPS is excluded: responses without a
   ticket count in 'all' only). #}

with

kpis as (
    select * from {{ ref('service_kpis') }}
),

channel_totals as (
    select
        period_grain,
        period_start,
        sum(tickets) as tickets,
        sum(tickets_solved) as tickets_solved
    from kpis
    where channel != 'all'
    group by period_grain, period_start
),

all_rows as (
    select
        period_grain,
        period_start,
        tickets,
        tickets_solved
    from kpis
    where channel = 'all'
)

select
    all_rows.period_grain,
    all_rows.period_start,
    all_rows.tickets,
    channel_totals.tickets as channel_tickets,
    all_rows.tickets_solved,
    channel_totals.tickets_solved as channel_tickets_solved
from all_rows
full outer join channel_totals
    on
        all_rows.period_grain = channel_totals.period_grain
        and all_rows.period_start = channel_totals.period_start
where
    all_rows.tickets is distinct from channel_totals.tickets
    or all_rows.tickets_solved is distinct from channel_totals.tickets_solved
