{#- One row per ticket with a status history: the time it spent waiting
    on the support team (requester wait: new, open, hold), on the customer
    (agent wait: pending), on hold (hold) and being worked (agent work:
    new, open), in calendar and business minutes, from int_ticket_status_spans.
    A span still open at as_of counts up to as_of. Whole seconds are summed,
    so the figures are exact. -#}

{{ config(**incremental_by('ticket_id', per_ticket=true)) }}

-- depends_on: {{ ref('int_tickets_changed') }}


{%- set status_times = {
    'requester_wait': ['new', 'open', 'hold'],
    'agent_wait': ['pending'],
    'on_hold': ['hold'],
    'agent_work': ['new', 'open'],
} %}

with

spans as (
    select status_spans.*
    from {{ ref('int_ticket_status_spans') }} as status_spans
    where {{ in_changed_tickets('status_spans.ticket_id') }}
),

calendars as (
    select
        business_timed_tickets.ticket_id,
        business_timed_tickets.business_calendar
    from {{ ref('int_tickets_business_timed') }} as business_timed_tickets
    where {{ in_changed_tickets('business_timed_tickets.ticket_id') }}
),

clock_days as (
    select * from {{ ref('int_business_clock_days') }}
),

timed_spans as (
    select
        spans.ticket_id,
        spans.status,
        {%- for name, statuses in status_times.items() %}
            case
                when spans.status in ({{ "'" ~ statuses | join("', '") ~ "'" }}) then 1
                else 0
            end as counts_as_{{ name }},
        {%- endfor %}
        {{ dbt.datediff('spans.started_at', 'spans.ended_at', 'second') }}
            as span_seconds,
        {{ business_seconds_at('spans.started_at', 'started_clock') }}
            as started_business_seconds,
        {{ business_seconds_at('spans.ended_at', 'ended_clock') }}
            as ended_business_seconds
    from spans
    inner join calendars
        on spans.ticket_id = calendars.ticket_id
    left join clock_days as started_clock
        on {{ business_clock_holds(
            'spans.started_at', 'calendars.business_calendar', 'started_clock'
        ) }}
    left join clock_days as ended_clock
        on {{ business_clock_holds(
            'spans.ended_at', 'calendars.business_calendar', 'ended_clock'
        ) }}
),

final as (
    select
        ticket_id,
        {%- for name in status_times %}
            cast(sum(counts_as_{{ name }} * span_seconds) as {{ type_double() }}) / 60
                as {{ name }}_minutes,
            cast(
                sum(counts_as_{{ name }} * (ended_business_seconds - started_business_seconds))
                as {{ type_double() }}
            ) / 60 as {{ name }}_business_minutes
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from timed_spans
    group by ticket_id
)

select * from final
