{#- One row per day, channel ('all' too), status and age bucket with open
    tickets at the end of that day in the reporting time zone (at as_of on
    the as-of date). -#}

{%- set age_buckets = [
    (1, 'under 1 day'),
    (3, '1-3 days'),
    (7, '3-7 days'),
    (30, '7-30 days'),
] %}

with

days as (
    select * from {{ ref('int_calendar_days') }}
),

as_of as (
    select * from {{ ref('int_build_as_of') }}
),

tickets as (
    select * from {{ ref('fct_tickets') }}
),

staged_tickets as (
    select
        ticket_id,
        updated_at
    from {{ ref('stg_helpdesk__tickets') }}
),

history_spans as (
    select * from {{ ref('int_ticket_status_spans') }}
),

tickets_with_history as (
    select distinct ticket_id from history_spans
),

{# Without a status history a ticket is taken as open from its creation to
   its final solve, or in its current status until as_of; a ticket closed
   without a solve (abandoned) ends at its last update. A ticket solved
   after as_of was still open then. #}
derived_spans as (
    select
        tickets.ticket_id,
        case
            when tickets.status in ('new', 'open', 'pending', 'hold') then tickets.status
            else 'open'
        end as status,
        tickets.solved_at is null
        and (not tickets.is_abandoned or staged_tickets.updated_at >= as_of.as_of_at)
            as is_latest_span,
        tickets.created_at as started_at,
        case
            when tickets.solved_at is not null then tickets.solved_at
            when tickets.is_abandoned
                then least(coalesce(staged_tickets.updated_at, tickets.created_at), as_of.as_of_at)
            else as_of.as_of_at
        end as ended_at
    from tickets
    cross join as_of
    left join staged_tickets
        on tickets.ticket_id = staged_tickets.ticket_id
    left join tickets_with_history
        on tickets.ticket_id = tickets_with_history.ticket_id
    where tickets_with_history.ticket_id is null and tickets.status != 'unknown'
),

open_spans as (
    select
        ticket_id,
        status,
        is_latest_span,
        started_at,
        ended_at
    from history_spans
    where status in ('new', 'open', 'pending', 'hold')
    union all
    select
        ticket_id,
        status,
        is_latest_span,
        started_at,
        ended_at
    from derived_spans
),

{# The latest span lasts past every snapshot (none is after as_of): a span
   covers the snapshots in [started_at, covered_until). #}
covering_spans as (
    select
        open_spans.ticket_id,
        open_spans.status,
        open_spans.started_at,
        case
            when open_spans.is_latest_span then {{ dbt.dateadd('day', 1, 'as_of.as_of_at') }}
            else open_spans.ended_at
        end as covered_until
    from open_spans
    cross join as_of
),

calendar_bounds as (
    select
        min(calendar_date) as first_date,
        max(calendar_date) as last_date
    from days
),

{# The days whose snapshot a span may cover: from the day it starts (the
   day before when it starts at midnight) to the day before it ends, or to
   the as-of date when it lasts past as_of. The start is taken two hours
   early, for a zone whose clocks go back over midnight (the repeated
   midnight is read as its later instant); the exact test comes with the
   snapshots. Listing the days with a
   day offset keeps the join to the snapshots an equality, instead of
   pairing every span with every later day, and a span that starts and
   ends between two midnights lists none. #}
span_day_bounds as (
    select
        covering_spans.ticket_id,
        covering_spans.status,
        covering_spans.started_at,
        covering_spans.covered_until,
        greatest(
            {{ to_reporting_date(dbt.dateadd('hour', -2, 'covering_spans.started_at')) }},
            calendar_bounds.first_date
        ) as first_day,
        case
            when covering_spans.covered_until > as_of.as_of_at then calendar_bounds.last_date
            else
                least(
                    {{ add_days(-1, to_reporting_date('covering_spans.covered_until')) }},
                    calendar_bounds.last_date
                )
        end as last_day
    from covering_spans
    cross join calendar_bounds
    cross join as_of
),

span_day_ranges as (
    select
        *,
        {{ dbt.datediff('first_day', 'last_day', 'day') }}
            as last_day_offset
    from span_day_bounds
    where last_day >= first_day
),

{# Ranges lie within the calendar, so its length bounds the offsets. #}
day_offsets as (
    select
        {{ dbt.datediff('calendar_bounds.first_date', 'days.calendar_date', 'day') }}
            as n
    from days
    cross join calendar_bounds
),

span_days as (
    select
        span_day_ranges.ticket_id,
        span_day_ranges.status,
        span_day_ranges.started_at,
        span_day_ranges.covered_until,
        {{ add_days('day_offsets.n', 'span_day_ranges.first_day') }} as backlog_date
    from span_day_ranges
    inner join day_offsets
        on span_day_ranges.last_day_offset >= day_offsets.n
),

{%- set next_midnight = dbt.cast(add_days(1, 'days.calendar_date'), dbt.type_timestamp()) %}

snapshots as (
    select
        days.calendar_date as backlog_date,
        least(
            {{ to_utc(next_midnight, var('reporting_timezone')) }},
            as_of.as_of_at
        ) as snapshot_at
    from days
    cross join as_of
),

backlog as (
    select
        snapshots.backlog_date,
        tickets.channel,
        span_days.status,
        {{ dbt.datediff('tickets.created_at', 'snapshots.snapshot_at', 'second') }}
            as age_seconds
    from span_days
    inner join snapshots
        on span_days.backlog_date = snapshots.backlog_date
    inner join tickets
        on span_days.ticket_id = tickets.ticket_id
    where
        snapshots.snapshot_at >= span_days.started_at
        and snapshots.snapshot_at < span_days.covered_until
),

bucketed as (
    select
        backlog_date,
        channel,
        status,
        age_seconds,
        case
            {%- for days, label in age_buckets %}
                when age_seconds < {{ days * 86400 }} then {{ loop.index }}
            {%- endfor %}
            else {{ age_buckets | length + 1 }}
        end as age_bucket_rank
    from backlog
),

scopes as (
    select 'channel' as scope
    union all
    select 'all' as scope
),

final as (
    select
        bucketed.backlog_date,
        case when scopes.scope = 'all' then 'all' else bucketed.channel end as channel,
        bucketed.status,
        case bucketed.age_bucket_rank
            {%- for days, label in age_buckets %}
                when {{ loop.index }} then '{{ label }}'
            {%- endfor %}
            else 'over 30 days'
        end as age_bucket,
        cast(bucketed.age_bucket_rank as {{ dbt.type_int() }}) as age_bucket_rank,
        cast(count(*) as {{ dbt.type_bigint() }}) as open_tickets,
        cast(sum(bucketed.age_seconds) as {{ type_double() }}) / 86400 / count(*)
            as mean_age_days
    from bucketed
    cross join scopes
    group by
        bucketed.backlog_date,
        case when scopes.scope = 'all' then 'all' else bucketed.channel end,
        bucketed.status,
        bucketed.age_bucket_rank
)

select * from final
