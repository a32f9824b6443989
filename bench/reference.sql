-- The reference of `make bench`: the core ticket KPIs and monthly retention
-- computed by one plain DuckDB script over the same Parquet exports the
-- warehouse is built from. It does the same work as the dbt models for
-- these figures, on every row: reads every file, maps the labels with the
-- seeds, drops the rows the warehouse rejects (no id, impossible solve,
-- score out of range, negative total), deduplicates overlapping exports
-- (latest updated_at per ticket, later file per message, response and
-- order), finds each ticket's first human reply, reply counts, resolution
-- and flags, and aggregates per month and channel (and 'all').
--
-- What it leaves out, on purpose: reading CSV and parsing text (the exports
-- are typed Parquet), the rejected-rows and load-audit marts, salted
-- pseudonyms (customers are keyed by the normalised e-mail), the day, week
-- and quarter grains, average response time over customer turns, repeat
-- contacts, first-contact resolution, churn and cohorts, and every test.
--
-- ${exports} and ${seeds} are replaced by the folders before it runs. The
-- results are the tables fct_tickets, service_kpis_monthly and
-- retention_monthly, stored in the database file; the steps before them are
-- temporary tables. bench.py compares the results with the warehouse's
-- marts. Files are read in name order (file_index), so "the later file"
-- means what it means for the warehouse.

set timezone = 'UTC';

create temp table channel_labels as
select
    label,
    channel
from read_csv('${seeds}/channel_labels.csv', header = true, all_varchar = true);

create temp table status_labels as
select
    label,
    status
from read_csv('${seeds}/status_labels.csv', header = true, all_varchar = true);

create temp table role_labels as
select
    label,
    author_role
from read_csv('${seeds}/role_labels.csv', header = true, all_varchar = true);

-- Latest version of every ticket.
create temp table tickets as
with

versions as (
    select
        trim(ticket_id) as ticket_id,
        regexp_replace(lower(trim(channel)), '\s+', ' ', 'g') as channel_key,
        regexp_replace(lower(trim(status)), '\s+', ' ', 'g') as status_key,
        coalesce(is_escalated, false) as is_escalated,
        coalesce(reopen_count, 0) as reopen_count,
        cast(created_at as timestamp) as created_at,
        cast(coalesce(updated_at, created_at) as timestamp) as updated_at,
        cast(solved_at as timestamp) as solved_at,
        file_index,
        file_row_number
    from read_parquet(
            '${exports}/tickets*.parquet',
            file_row_number = true, union_by_name = true
        )
    where
        nullif(trim(ticket_id), '') is not null
        and created_at is not null
        and (solved_at is null or solved_at >= created_at)
),

latest as (
    select *
    from versions
    qualify row_number() over (
            partition by ticket_id
            order by updated_at desc, file_index desc, file_row_number desc
        ) = 1
)

select
    latest.ticket_id,
    coalesce(channel_labels.channel, 'other') as channel,
    coalesce(status_labels.status, 'unknown') as status,
    latest.is_escalated,
    latest.reopen_count,
    latest.created_at,
    latest.updated_at,
    latest.solved_at
from latest
left join channel_labels
    on latest.channel_key = channel_labels.label
left join status_labels
    on latest.status_key = status_labels.label;

-- One copy of every message (the later file wins).
create temp table messages as
with

versions as (
    select
        trim(message_id) as message_id,
        trim(ticket_id) as ticket_id,
        regexp_replace(lower(trim(author_role)), '\s+', ' ', 'g') as role_key,
        coalesce(is_public, true) as is_public,
        cast(created_at as timestamp) as created_at,
        file_index,
        file_row_number
    from read_parquet(
            '${exports}/ticket_messages*.parquet',
            file_row_number = true, union_by_name = true
        )
    where
        nullif(trim(message_id), '') is not null
        and nullif(trim(ticket_id), '') is not null
        and created_at is not null
),

latest as (
    select *
    from versions
    qualify row_number() over (
            partition by message_id
            order by file_index desc, file_row_number desc
        ) = 1
)

select
    latest.message_id,
    latest.ticket_id,
    coalesce(role_labels.author_role, 'unknown') as author_role,
    latest.is_public,
    latest.created_at
from latest
left join role_labels
    on latest.role_key = role_labels.label;

-- One copy of every valid survey response (the later file wins).
create temp table responses as
with

versions as (
    select
        trim(response_id) as response_id,
        nullif(trim(ticket_id), '') as ticket_id,
        regexp_replace(lower(trim(survey_type)), '\s+', ' ', 'g') as survey_type,
        score,
        cast(responded_at as timestamp) as responded_at,
        file_index,
        file_row_number
    from read_parquet(
            '${exports}/surveys*.parquet',
            file_row_number = true, union_by_name = true
        )
),

valid as (
    select *
    from versions
    where
        nullif(response_id, '') is not null
        and responded_at is not null
        and (
            (survey_type = 'csat' and score between 1 and 5)
            or (survey_type = 'nps' and score between 0 and 10)
        )
)

select *
from valid
qualify row_number() over (
        partition by response_id
        order by file_index desc, file_row_number desc
    ) = 1;

-- One copy of every order that counts as a purchase, by normalised e-mail.
create temp table purchases as
with

versions as (
    select
        trim(order_id) as order_id,
        lower(trim(customer_email)) as customer_email,
        lower(trim(financial_status)) as financial_status,
        coalesce(is_test, false) as is_test,
        total_amount,
        cast(created_at as timestamp) as created_at,
        cancelled_at,
        file_index,
        file_row_number
    from read_parquet(
            '${exports}/orders*.parquet',
            file_row_number = true, union_by_name = true
        )
    where
        nullif(trim(order_id), '') is not null
        and nullif(trim(customer_email), '') is not null
        and created_at is not null
        and coalesce(total_amount, 0) >= 0
),

latest as (
    select *
    from versions
    qualify row_number() over (
            partition by order_id
            order by file_index desc, file_row_number desc
        ) = 1
)

select
    order_id,
    customer_email,
    created_at
from latest
where
    cancelled_at is null
    and coalesce(financial_status, '') != 'voided'
    and not is_test;

-- The reference instant: the latest timestamp in the exports.
create temp table as_of as
with

latest_times as (
    select max(updated_at) as latest_at from tickets
    union all
    select max(created_at) as latest_at from messages
    union all
    select max(responded_at) as latest_at from responses
    union all
    select max(created_at) as latest_at from purchases
)

select
    max(latest_at) as as_of_at,
    cast(max(latest_at) as date) as as_of_date
from latest_times;

-- One row per ticket: first human reply, reply counts, resolution, flags.
create table fct_tickets as
with

modelled_messages as (
    select
        messages.ticket_id,
        messages.author_role,
        messages.created_at,
        messages.author_role = 'agent' and messages.is_public as is_human_reply
    from messages
    inner join tickets
        on messages.ticket_id = tickets.ticket_id
    cross join as_of
    where
        messages.created_at >= tickets.created_at
        and messages.created_at <= as_of.as_of_at
),

replies as (
    select
        ticket_id,
        count(*) filter (where is_human_reply) as agent_reply_count,
        count(*) filter (where author_role = 'bot') as bot_message_count,
        min(created_at) filter (where is_human_reply) as first_responded_at,
        max(created_at) filter (where author_role = 'customer') as last_customer_message_at
    from modelled_messages
    group by ticket_id
),

as_of_tickets as (
    select
        tickets.ticket_id,
        tickets.channel,
        tickets.status,
        tickets.reopen_count,
        tickets.is_escalated,
        tickets.created_at,
        (
            tickets.status = 'solved'
            or (tickets.status = 'closed' and tickets.solved_at is not null)
        )
        and coalesce(tickets.solved_at <= as_of.as_of_at, true) as is_solved,
        tickets.status = 'closed' and tickets.solved_at is null as is_abandoned,
        case when tickets.solved_at <= as_of.as_of_at then tickets.solved_at end as solved_at
    from tickets
    cross join as_of
    where tickets.created_at <= as_of.as_of_at
)

select
    as_of_tickets.ticket_id,
    as_of_tickets.channel,
    as_of_tickets.status,
    date_diff('second', as_of_tickets.created_at, replies.first_responded_at)
        as first_response_seconds,
    date_diff('second', as_of_tickets.created_at, replies.first_responded_at) / 60.0
        as first_response_minutes,
    coalesce(replies.agent_reply_count, 0) as agent_reply_count,
    coalesce(replies.bot_message_count, 0) as bot_message_count,
    case
        when as_of_tickets.is_solved
            then date_diff('second', as_of_tickets.created_at, as_of_tickets.solved_at)
    end as resolution_seconds,
    as_of_tickets.is_solved,
    as_of_tickets.is_solved and coalesce(replies.agent_reply_count, 0) = 1 as is_one_touch,
    as_of_tickets.is_solved and coalesce(replies.agent_reply_count, 0) = 0 as is_self_served,
    as_of_tickets.reopen_count > 0
    or coalesce(replies.last_customer_message_at > as_of_tickets.solved_at, false)
        as is_reopened,
    as_of_tickets.is_abandoned,
    as_of_tickets.is_escalated,
    as_of_tickets.created_at,
    replies.first_responded_at,
    as_of_tickets.solved_at
from as_of_tickets
left join replies
    on as_of_tickets.ticket_id = replies.ticket_id;

-- One row per month and channel (and 'all') with an event: volume and
-- first response by creation, resolution by final solve, CSAT and NPS by
-- response. Responses without a ticket count in 'all' only; responses
-- naming a ticket no export contains are left out.
create table service_kpis_monthly as
with

created_metrics as (
    select
        period_start,
        case when grouping(channel) = 1 then 'all' else channel end as channel,
        count(*) as tickets,
        sum(first_response_seconds) / 60.0 / nullif(count(first_response_seconds), 0)
            as mean_first_response_minutes,
        quantile_cont(first_response_minutes, 0.5) as median_first_response_minutes,
        quantile_cont(first_response_minutes, 0.9) as p90_first_response_minutes,
        100.0 * count(*) filter (where is_one_touch) / count(*) as one_touch_resolution_pct,
        100.0 * count(*) filter (where is_self_served) / count(*) as self_service_pct,
        100.0 * count(*) filter (where is_abandoned) / count(*) as abandonment_pct,
        100.0 * count(*) filter (where is_escalated) / count(*) as escalation_pct
    from (
        select
            *,
            cast(date_trunc('month', created_at) as date) as period_start
        from fct_tickets
    ) as created
    -- rollup: per channel, and over all channels of the month ('all')
    group by rollup(period_start, channel)
    having grouping(period_start) = 0
),

solved_metrics as (
    select
        period_start,
        case when grouping(channel) = 1 then 'all' else channel end as channel,
        count(*) as tickets_solved,
        sum(resolution_seconds) / 60.0 / count(*) as mean_resolution_minutes
    from (
        select
            *,
            cast(date_trunc('month', solved_at) as date) as period_start
        from fct_tickets
        where is_solved and solved_at is not null
    ) as solved
    group by rollup(period_start, channel)
    having grouping(period_start) = 0
),

surveys as (
    select
        responses.survey_type,
        responses.score,
        fct_tickets.channel,
        responses.responded_at
    from responses
    left join tickets
        on responses.ticket_id = tickets.ticket_id
    left join fct_tickets
        on responses.ticket_id = fct_tickets.ticket_id
    cross join as_of
    where
        (responses.ticket_id is null or tickets.ticket_id is not null)
        and responses.responded_at <= as_of.as_of_at
),

survey_by_scope as (
    select
        survey_type,
        score,
        responded_at,
        channel
    from surveys
    where channel is not null
    union all
    select
        survey_type,
        score,
        responded_at,
        'all' as channel
    from surveys
),

survey_metrics as (
    select
        cast(date_trunc('month', responded_at) as date) as period_start,
        channel,
        100.0 * count(*) filter (where survey_type = 'csat' and score >= 4)
        / nullif(count(*) filter (where survey_type = 'csat'), 0) as csat_pct,
        avg(score) filter (where survey_type = 'csat') as csat_mean_score,
        count(*) filter (where survey_type = 'csat') as csat_responses,
        100.0 * count(*) filter (where survey_type = 'nps' and score >= 9)
        / nullif(count(*) filter (where survey_type = 'nps'), 0)
        - 100.0 * count(*) filter (where survey_type = 'nps' and score <= 6)
        / nullif(count(*) filter (where survey_type = 'nps'), 0) as nps,
        count(*) filter (where survey_type = 'nps') as nps_responses
    from survey_by_scope
    group by period_start, channel
),

period_keys as (
    select
        period_start,
        channel
    from created_metrics
    union
    select
        period_start,
        channel
    from solved_metrics
    union
    select
        period_start,
        channel
    from survey_metrics
)

select
    period_keys.period_start,
    period_keys.channel,
    coalesce(created_metrics.tickets, 0) as tickets,
    created_metrics.mean_first_response_minutes,
    created_metrics.median_first_response_minutes,
    created_metrics.p90_first_response_minutes,
    coalesce(solved_metrics.tickets_solved, 0) as tickets_solved,
    solved_metrics.mean_resolution_minutes,
    created_metrics.one_touch_resolution_pct,
    created_metrics.self_service_pct,
    created_metrics.abandonment_pct,
    created_metrics.escalation_pct,
    survey_metrics.csat_pct,
    survey_metrics.csat_mean_score,
    coalesce(survey_metrics.csat_responses, 0) as csat_responses,
    survey_metrics.nps,
    coalesce(survey_metrics.nps_responses, 0) as nps_responses
from period_keys
left join created_metrics
    on
        period_keys.period_start = created_metrics.period_start
        and period_keys.channel = created_metrics.channel
left join solved_metrics
    on
        period_keys.period_start = solved_metrics.period_start
        and period_keys.channel = solved_metrics.channel
left join survey_metrics
    on
        period_keys.period_start = survey_metrics.period_start
        and period_keys.channel = survey_metrics.channel;

-- One row per month from the first purchase to the as-of date: customers
-- active (a purchase in the 365 days ending on the day, that day included)
-- the day before the month, new (first purchase in the month), active at
-- its last day (the as-of date for the current month), and
-- retention = (end - new) / start * 100.
create table retention_monthly as
with

purchase_days as (
    select distinct
        purchases.customer_email,
        cast(purchases.created_at as date) as order_date
    from purchases
    cross join as_of
    where purchases.created_at <= as_of.as_of_at
),

flagged as (
    select
        customer_email,
        order_date,
        case
            when
                order_date
                <= lag(order_date) over (partition by customer_email order by order_date)
                + interval 365 day
                then 0
            else 1
        end as is_span_start
    from purchase_days
),

numbered as (
    select
        customer_email,
        order_date,
        sum(is_span_start) over (
            partition by customer_email
            order by order_date
            rows between unbounded preceding and current row
        ) as span_number
    from flagged
),

spans as (
    select
        customer_email,
        min(order_date) as active_from,
        cast(max(order_date) + interval 364 day as date) as active_until
    from numbered
    group by customer_email, span_number
),

first_orders as (
    select
        cast(date_trunc('month', min(order_date)) as date) as first_month,
        customer_email
    from purchase_days
    group by customer_email
),

edges as (
    select
        active_from as edge_day,
        1 as delta
    from spans
    union all
    select
        cast(active_until + interval 1 day as date) as edge_day,
        -1 as delta
    from spans
),

daily_deltas as (
    select
        edge_day,
        sum(delta) as delta
    from edges
    group by edge_day
),

calendar as (
    select cast(unnest(generate_series(
        cast(date_trunc('month', (select min(active_from) from spans)) as date)
        - interval 1 day,
        (select as_of.as_of_date from as_of),
        interval 1 day
    )) as date) as calendar_date
),

daily_active as (
    select
        calendar.calendar_date,
        sum(coalesce(daily_deltas.delta, 0)) over (
            order by calendar.calendar_date
            rows between unbounded preceding and current row
        ) as active_customers
    from calendar
    left join daily_deltas
        on calendar.calendar_date = daily_deltas.edge_day
),

months as (
    select
        cast(month_start as date) as period_start,
        cast(month_start - interval 1 day as date) as start_day,
        least(
            cast(month_start + interval 1 month - interval 1 day as date),
            (select as_of.as_of_date from as_of)
        ) as end_day
    from (
        select unnest(generate_series(
            (select min(first_orders.first_month) from first_orders),
            (select cast(date_trunc('month', as_of.as_of_date) as date) from as_of),
            interval 1 month
        )) as month_start
    ) as month_starts
),

new_customers as (
    select
        first_month as period_start,
        count(*) as customers_new
    from first_orders
    group by first_month
)

select
    months.period_start,
    coalesce(active_at_start.active_customers, 0) as customers_start,
    coalesce(new_customers.customers_new, 0) as customers_new,
    coalesce(active_at_end.active_customers, 0) as customers_end,
    100.0 * (coalesce(active_at_end.active_customers, 0) - coalesce(new_customers.customers_new, 0))
    / nullif(active_at_start.active_customers, 0) as retention_rate_pct
from months
left join daily_active as active_at_start
    on months.start_day = active_at_start.calendar_date
left join daily_active as active_at_end
    on months.end_day = active_at_end.calendar_date
left join new_customers
    on months.period_start = new_customers.period_start;
