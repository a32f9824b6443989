{#- One row per span of a ticket's status history from the optional
    ticket_status_changes export: the status, the status before it, and
    when it began and ended (the next change, or the as-of instant for the
    last one, which is_latest_span marks). Changes after as_of are not yet known. A ticket whose first
    change comes after its creation starts with a 'new' span at creation.
    Empty when var('use_status_changes') is false or the export is absent.
    Ties at one instant keep file order. -#}

{{ config(**incremental_by('ticket_id', per_ticket=true)) }}

-- depends_on: {{ ref('int_tickets_changed') }}


with

changes as (
    select checked_changes.*
    from {{ ref('int_ticket_status_changes_checked') }} as checked_changes
    where {{ in_changed_tickets('checked_changes.ticket_id') }}
),

tickets as (
    select
        staged_tickets.ticket_id,
        staged_tickets.created_at
    from {{ ref('stg_helpdesk__tickets') }} as staged_tickets
    where {{ in_changed_tickets('staged_tickets.ticket_id') }}
),

as_of as (
    select * from {{ ref('int_build_as_of') }}
),

known_changes as (
    select
        changes.ticket_id,
        changes.status,
        changes.source_file,
        changes.source_row_number,
        changes.changed_at
    from changes
    cross join as_of
    where
        changes.rejection_reasons is null
        and changes.changed_at <= as_of.as_of_at
    {%- if not var('use_status_changes') %}
        and false
        {%- endif %}
),

first_changes as (
    select
        ticket_id,
        min(changed_at) as first_changed_at
    from known_changes
    group by ticket_id
),

creation_spans as (
    select
        tickets.ticket_id,
        'new' as status,
        '' as source_file,
        0 as source_row_number,
        tickets.created_at as changed_at
    from tickets
    inner join first_changes
        on tickets.ticket_id = first_changes.ticket_id
    where first_changes.first_changed_at > tickets.created_at
),

all_changes as (
    select * from known_changes
    union all
    select * from creation_spans
),

spans as (
    select
        all_changes.ticket_id,
        lead(all_changes.changed_at) over (
            partition by all_changes.ticket_id
            order by
                all_changes.changed_at,
                all_changes.source_file,
                all_changes.source_row_number
        ) is null as is_latest_span,
        all_changes.status,
        lag(all_changes.status) over (
            partition by all_changes.ticket_id
            order by
                all_changes.changed_at,
                all_changes.source_file,
                all_changes.source_row_number
        ) as previous_status,
        row_number() over (
            partition by all_changes.ticket_id
            order by
                all_changes.changed_at,
                all_changes.source_file,
                all_changes.source_row_number
        ) as span_number,
        all_changes.changed_at as started_at,
        coalesce(
            lead(all_changes.changed_at) over (
                partition by all_changes.ticket_id
                order by
                    all_changes.changed_at,
                    all_changes.source_file,
                    all_changes.source_row_number
            ),
            as_of.as_of_at
        ) as ended_at
    from all_changes
    cross join as_of
)

select * from spans
