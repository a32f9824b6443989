{#- One row per customer a daily (incremental) run recomputes in the
    per-customer models: every customer, past or present, of a ticket
    int_tickets_changed lists; of an order with rows in export files new
    since the per-customer models last took a batch in; of an order placed
    between the previous and the current as-of instant (it enters or leaves
    the purchases); and of a ticket whose first-contact follow-up window
    (var('repurchase_window_days')) ends between the two as-of dates. When
    a per-customer model (a model declaring depends_on this one) exists but
    took no batch in yet, every customer. On a full build (or before any
    per-customer model exists) no row: each of them builds every customer
    anyway. -#}

-- depends_on: {{ ref('int_build_as_of') }}
-- depends_on: {{ ref('int_tickets_changed') }}
-- depends_on: {{ ref('base_helpdesk__tickets') }}
-- depends_on: {{ ref('base_shop__orders') }}
-- depends_on: {{ ref('stg_helpdesk__tickets') }}
-- depends_on: {{ ref('stg_shop__orders') }}

{%- set mode = 'none' %}
{%- set watermark = -1 %}
{%- set as_of_bounds = none %}
{%- set dependents = [] %}
{%- if execute and incremental_loads_enabled() and not flags.FULL_REFRESH %}
    {%- set dependents = incremental_dependents('int_customers_changed') %}
{%- endif %}
{%- if dependents | selectattr('built') | list %}
    {%- set mode = 'all' %}
    {%- set load_state = adapter.get_relation(
        database=this.database, schema=var('raw_schema'), identifier='load_state'
    ) %}
    {%- if load_state is not none %}
        {%- set state = run_query(
            "with last_batches as (select model, max(load_batch) as load_batch from "
            ~ var('raw_schema') ~ ".load_state where model in ('"
            ~ dependents | map(attribute='name') | join("', '") ~ "') group by model) "
            ~ "select count(*), coalesce(min(last_batches.load_batch), -1), "
            ~ "cast(min(state.as_of_at) as varchar), cast(max(state.as_of_at) as varchar) "
            ~ "from last_batches inner join " ~ var('raw_schema') ~ ".load_state as state "
            ~ "on last_batches.model = state.model and last_batches.load_batch = state.load_batch"
        ).rows[0] %}
        {%- if state[0] == dependents | length and state[2] is not none %}
            {%- set mode = 'changed' %}
            {%- set watermark = state[1] %}
            {%- set as_of_bounds = (state[2], state[3]) %}
        {%- endif %}
    {%- endif %}
{%- endif %}
{%- set window_days = var('repurchase_window_days') | int %}

with

{% if mode == 'changed' -%}
    as_of as (
        select
            {#- The previous and the current as-of instants, earlier first, a
                day wider on each side than needed. -#}
            {{ dbt.dateadd(
                'day', -2,
                "least(cast('" ~ as_of_bounds[0] ~ "' as timestamp), current_as_of.as_of_at)"
            ) }} as from_at,
            {{ dbt.dateadd(
                'day', 2,
                "greatest(cast('" ~ as_of_bounds[1] ~ "' as timestamp), current_as_of.as_of_at)"
            ) }} as until_at
        from {{ ref('int_build_as_of') }} as current_as_of
    ),

    new_orders as (
        select new_rows.order_id
        from {{ ref('base_shop__orders') }} as new_rows
        where new_rows.load_batch > {{ watermark }}
    ),

    changed as (
        select ticket_versions.customer_id
        from {{ ref('base_helpdesk__tickets') }} as ticket_versions
        where ticket_versions.ticket_id in (select ticket_id from {{ ref('int_tickets_changed') }})
        union
        select order_versions.customer_id
        from {{ ref('base_shop__orders') }} as order_versions
        where order_versions.order_id in (select order_id from new_orders)
        union
        select orders.customer_id
        from {{ ref('stg_shop__orders') }} as orders
        cross join as_of
        where orders.created_at between as_of.from_at and as_of.until_at
        union
        select tickets.customer_id
        from {{ ref('stg_helpdesk__tickets') }} as tickets
        cross join as_of
        where
            tickets.created_at
            between {{ dbt.dateadd('day', -window_days, 'as_of.from_at') }}
            and {{ dbt.dateadd('day', -window_days, 'as_of.until_at') }}
    ),
{%- elif mode == 'all' -%}
    changed as (
        select customer_id from {{ ref('stg_helpdesk__tickets') }}
        union
        select customer_id from {{ ref('stg_shop__orders') }}
    ),
{%- else -%}
    changed as (
        select customer_id from {{ ref('stg_helpdesk__tickets') }}
        where false
    ),
{%- endif %}

final as (
    select customer_id from changed
    where customer_id is not null
)

select * from final
