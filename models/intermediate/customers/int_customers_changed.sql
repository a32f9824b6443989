{#- One row per customer a daily (incremental) run recomputes in the
    per-customer models: every customer, past or present, of a ticket
    int_tickets_changed lists; of an order with rows in export files new
    since the per-customer models last took a batch in; of an order placed
    between the previous and the current as-of instant (it enters or leaves
    the purchases); and of a ticket whose first-contact follow-up window
    (var('repurchase_window_days')) ends between the two as-of dates. When
    the per-customer models (the models declaring depends_on this one) did
    not all take the same batch in (a run built some of them only, or one
    is new), every customer any ticket or order version ever named. On a
    full build (or before any of them exists) no row: each of them builds
    every customer anyway. -#}

-- depends_on: {{ ref('int_build_as_of') }}
-- depends_on: {{ ref('int_tickets_changed') }}
-- depends_on: {{ ref('base_helpdesk__tickets') }}
-- depends_on: {{ ref('base_shop__orders') }}
-- depends_on: {{ ref('stg_helpdesk__tickets') }}
-- depends_on: {{ ref('stg_shop__orders') }}

{%- set mode = 'none' %}
{%- set watermark = -1 %}
{%- set as_of_bounds = none %}
{%- if execute and incremental_loads_enabled() and not flags.FULL_REFRESH %}
    {%- set dependents = incremental_dependents('int_customers_changed') %}
    {%- if dependents | selectattr('built') | list %}
        {%- set state = dependents_load_state(dependents | map(attribute='name') | list) %}
        {%- if state.in_step %}
            {%- set mode = 'changed' %}
            {%- set watermark = state.batch %}
            {%- set as_of_bounds = (state.as_of_from, state.as_of_until) %}
        {%- else %}
            {%- set mode = 'all' %}
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
        where ticket_versions.ticket_id in (
                select changed_tickets.ticket_id
                from {{ ref('int_tickets_changed') }} as changed_tickets
            )
        union
        select order_versions.customer_id
        from {{ ref('base_shop__orders') }} as order_versions
        where order_versions.order_id in (select new_orders.order_id from new_orders)
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
    {#- Every customer any version of a ticket or order ever named, so that
        one whose last ticket or order moved away loses their rows too. #}
    changed as (
        select customer_id from {{ ref('base_helpdesk__tickets') }}
        union
        select customer_id from {{ ref('base_shop__orders') }}
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
