{#- One row per ticket a daily (incremental) run recomputes in the
    per-ticket models: tickets with rows in export files new since
    fct_tickets last took a batch in (tickets, messages, status changes,
    surveys); tickets updated within var('incremental_lookback_days') before
    the previous or the current as-of instant; tickets whose SLA breach was
    still undecided; tickets whose latest status span was still running (not
    solved or closed: it ends at the as-of instant, so its time grows); and
    every ticket of the customers of all of those, whose repeat-contact
    flags may move. Every ticket when a per-ticket model exists but
    fct_tickets does not. On a full build (or before any per-ticket model
    exists) no row: each of them builds every ticket anyway. fct_tickets
    and int_ticket_status_spans are read as they stand before this run, not
    through ref(), which would be a cycle. -#}

-- depends_on: {{ ref('int_build_as_of') }}
-- depends_on: {{ ref('base_helpdesk__tickets') }}
-- depends_on: {{ ref('base_helpdesk__ticket_messages') }}
-- depends_on: {{ ref('base_helpdesk__ticket_status_changes') }}
-- depends_on: {{ ref('base_helpdesk__surveys') }}

{%- set mode = 'none' %}
{%- set watermark = -1 %}
{%- set previous_as_of = none %}
{%- if execute and incremental_loads_enabled() and not flags.FULL_REFRESH
    and incremental_dependents('int_tickets_changed') | selectattr('built') | list %}
    {%- set previous_tickets = existing_model_relation('fct_tickets') %}
    {%- set previous_spans = existing_model_relation('int_ticket_status_spans') %}
    {%- set load_state = adapter.get_relation(
        database=this.database, schema=var('raw_schema'), identifier='load_state'
    ) %}
    {%- set mode = 'all' if previous_tickets is none else 'changed' %}
    {%- if previous_tickets is not none and load_state is not none %}
        {%- set state = run_query(
            "select coalesce(max(load_batch), -1), cast(max(as_of_at) as varchar) from "
            ~ var('raw_schema') ~ ".load_state where model = 'fct_tickets'"
        ).rows[0] %}
        {%- set watermark = state[0] %}
        {%- set previous_as_of = state[1] %}
    {%- endif %}
{%- endif %}
{%- set lookback_days = var('incremental_lookback_days') %}

with

tickets as (
    select
        ticket_id,
        customer_id,
        updated_at
    from {{ ref('stg_helpdesk__tickets') }}
),

changed as (
    {%- if mode == 'changed' %}
        {%- for base_model in [
            'base_helpdesk__tickets',
            'base_helpdesk__ticket_messages',
            'base_helpdesk__ticket_status_changes',
            'base_helpdesk__surveys',
        ] %}
            select new_rows.ticket_id
            from {{ ref(base_model) }} as new_rows
            where new_rows.load_batch > {{ watermark }}
            union
        {%- endfor %}
        select tickets.ticket_id
        from tickets
        cross join {{ ref('int_build_as_of') }} as as_of
        where
            tickets.updated_at >= {{ dbt.dateadd('day', -1 * lookback_days, 'as_of.as_of_at') }}
            or tickets.updated_at >= {{ dbt.dateadd(
                'day',
                -1 * lookback_days,
                "cast('" ~ (previous_as_of or '9999-12-31') ~ "' as timestamp)"
            ) }}
        union
        select previous.ticket_id
        from {{ previous_tickets }} as previous
        where
            previous.is_first_response_breached is null
            or previous.is_resolution_breached is null
        {%- if previous_spans is not none %}
            union
            select previous_spans.ticket_id
            from {{ previous_spans }} as previous_spans
            where
                previous_spans.is_latest_span
                and previous_spans.status not in ('solved', 'closed')
        {%- endif %}
    {%- elif mode == 'all' %}
        select ticket_id from tickets
    {%- else %}
        select ticket_id from tickets
        where false
    {%- endif %}
),

neighbours as (
    select same_customer.ticket_id
    from changed
    inner join tickets as changed_tickets
        on changed.ticket_id = changed_tickets.ticket_id
    inner join tickets as same_customer
        on changed_tickets.customer_id = same_customer.customer_id
),

final as (
    select ticket_id from changed
    where ticket_id is not null
    union
    select ticket_id from neighbours
)

select * from final
