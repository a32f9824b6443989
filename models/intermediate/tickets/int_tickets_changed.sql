{#- One row per ticket a daily (incremental) run recomputes in the
    per-ticket models: tickets with rows in export files new since
    fct_tickets last took a batch in (tickets, messages, status changes,
    surveys); tickets updated within var('incremental_lookback_days') before
    the previous or the current as-of instant; tickets whose SLA breach was
    still undecided; and every ticket of the customers of all of those,
    whose repeat-contact flags may move. On a full build (or before
    fct_tickets exists) every ticket. fct_tickets is read as it stands
    before this run, not through ref(), which would be a cycle. -#}

-- depends_on: {{ ref('int_build_as_of') }}
-- depends_on: {{ ref('base_helpdesk__tickets') }}
-- depends_on: {{ ref('base_helpdesk__ticket_messages') }}
-- depends_on: {{ ref('base_helpdesk__ticket_status_changes') }}
-- depends_on: {{ ref('base_helpdesk__surveys') }}

{%- set previous_tickets = none %}
{%- if execute and incremental_loads_enabled() and not flags.FULL_REFRESH %}
    {%- set previous_tickets = adapter.get_relation(
        database=this.database, schema=target.schema, identifier='fct_tickets'
    ) %}
{%- endif %}

with

tickets as (
    select
        ticket_id,
        customer_id,
        updated_at
    from {{ ref('stg_helpdesk__tickets') }}
),

{%- if previous_tickets is not none %}

as_of as (
    select * from {{ ref('int_build_as_of') }}
),

watermark as (
    select
        coalesce(max(load_batch), -1) as load_batch,
        max(as_of_at) as previous_as_of_at
    from {{ var('raw_schema') }}.load_state
    where model = 'fct_tickets'
),

lookback as (
    select
        {{ dbt.dateadd(
            'day',
            -1 * var('incremental_lookback_days'),
            'least(coalesce(watermark.previous_as_of_at, as_of.as_of_at), as_of.as_of_at)'
        ) }} as lookback_from
    from watermark
    cross join as_of
),

changed as (
    {%- for base_model in [
        'base_helpdesk__tickets',
        'base_helpdesk__ticket_messages',
        'base_helpdesk__ticket_status_changes',
        'base_helpdesk__surveys',
    ] %}
        select new_rows.ticket_id
        from {{ ref(base_model) }} as new_rows
        cross join watermark
        where new_rows.load_batch > watermark.load_batch
        union
    {%- endfor %}
    select tickets.ticket_id
    from tickets
    cross join lookback
    where tickets.updated_at >= lookback.lookback_from
    union
    select previous.ticket_id
    from {{ previous_tickets }} as previous
    where previous.is_first_response_breached is null or previous.is_resolution_breached is null
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

{%- else %}

final as (
    select ticket_id from tickets
)

{%- endif %}

select * from final
