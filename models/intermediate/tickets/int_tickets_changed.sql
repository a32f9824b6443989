{#- One row per ticket a daily (incremental) run recomputes in the
    per-ticket models: tickets with rows in new export files (tickets,
    messages, status changes, surveys), and every ticket an earlier version
    of a message or survey response in them belonged to; tickets updated
    within var('incremental_lookback_days') before the previous or the
    current as-of instant, or since (so an as-of instant moved back drops
    what came after it); tickets whose SLA breach was still undecided;
    tickets whose latest status span was still running (not solved or
    closed: it ends at the as-of instant, so its time grows); and every
    ticket of the customers (past or present) of all of those, whose
    repeat-contact flags may move. New rows are those since the last batch
    the per-ticket and per-customer models took in; when they did not all
    take the same one in (a run built some of them only), or fct_tickets is
    missing, every ticket. On a full build (or before any of them exists) no
    row: each of them builds every ticket anyway. fct_tickets and
    int_ticket_status_spans are read as they stand before this run, not
    through ref(), which would be a cycle. -#}

-- depends_on: {{ ref('int_build_as_of') }}
-- depends_on: {{ ref('base_helpdesk__tickets') }}
-- depends_on: {{ ref('base_helpdesk__ticket_messages') }}
-- depends_on: {{ ref('base_helpdesk__ticket_status_changes') }}
-- depends_on: {{ ref('base_helpdesk__surveys') }}

{%- set mode = 'none' %}
{%- set watermark = -1 %}
{%- set previous_as_of = none %}
{%- if execute and incremental_loads_enabled() and not flags.FULL_REFRESH %}
    {#- The per-ticket models and, downstream of them, the per-customer ones. -#}
    {%- set dependents = incremental_dependents('int_tickets_changed')
        + incremental_dependents('int_customers_changed') %}
    {%- if dependents | selectattr('built') | list %}
        {%- set previous_tickets = existing_model_relation('fct_tickets') %}
        {%- set previous_spans = existing_model_relation('int_ticket_status_spans') %}
        {%- set state = dependents_load_state(dependents | map(attribute='name') | list) %}
        {%- if previous_tickets is not none and state.in_step %}
            {%- set mode = 'changed' %}
            {%- set watermark = state.batch %}
            {%- set previous_as_of = state.as_of_from %}
        {%- else %}
            {%- set mode = 'all' %}
        {%- endif %}
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
        {%- for base_model, row_key in [
            ('base_helpdesk__tickets', none),
            ('base_helpdesk__ticket_messages', 'message_id'),
            ('base_helpdesk__ticket_status_changes', none),
            ('base_helpdesk__surveys', 'response_id'),
        ] %}
            {#- The tickets of new rows and, for a message or response, of
                every version of it: one moved to another ticket changes the
                ticket it left too. #}
            select versions.ticket_id
            from {{ ref(base_model) }} as versions
            where
                versions.load_batch > {{ watermark }}
                {%- if row_key %}
                    or versions.{{ row_key }} in (
                        select new_rows.{{ row_key }}
                        from {{ ref(base_model) }} as new_rows
                        where new_rows.load_batch > {{ watermark }}
                    )
                {%- endif %}
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

{# The customers of every version of a changed ticket, so that a ticket
    moved to another customer also recomputes the one it left. #}
changed_customers as (
    select distinct ticket_versions.customer_id
    from {{ ref('base_helpdesk__tickets') }} as ticket_versions
    {%- if mode == 'changed' %}
        where ticket_versions.ticket_id in (select changed.ticket_id from changed)
    {%- else %}
        where false
    {%- endif %}
),

neighbours as (
    select same_customer.ticket_id
    from tickets as same_customer
    inner join changed_customers
        on same_customer.customer_id = changed_customers.customer_id
),

final as (
    select ticket_id from changed
    where ticket_id is not null
    union
    select ticket_id from neighbours
)

select * from final
