{# Which hours of the day break the first-response SLA? Per hour of ticket
   creation in the reporting time zone: tickets whose first-response SLA is
   decided, how many breached it, the breach rate and the median first
   response, worst hours first. #}

with

tickets as (
    select
        extract(hour from {{ to_reporting_time('created_at') }}) as created_hour,
        first_response_minutes,
        is_first_response_breached
    from {{ ref('fct_tickets') }}
    where is_first_response_breached is not null
)

select
    created_hour,
    count(*) as decided_tickets,
    sum(case when is_first_response_breached then 1 else 0 end) as breached_tickets,
    round({{ percent_where('is_first_response_breached') }}, 1) as breach_pct,
    round({{ percentile('first_response_minutes', 0.5) }}, 1) as median_first_response_minutes
from tickets
group by created_hour
order by breach_pct desc, created_hour asc
