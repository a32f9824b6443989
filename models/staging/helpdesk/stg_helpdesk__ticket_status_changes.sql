{{ config(**incremental_by('ticket_id')) }}

with

changes as (
    select * from {{ ref('base_helpdesk__ticket_status_changes') }}
    where
        rejection_reasons is null
        and {{ in_new_rows(ref('base_helpdesk__ticket_status_changes'), 'ticket_id') }}
),

ranked as (
    select
        *,
        {# The same change in several exports counts once. -#}
        row_number() over (
            partition by ticket_id, changed_at, status
            order by source_file desc, source_row_number desc
        ) as version_rank
    from changes
),

latest as (
    select
        ticket_id,
        status,
        status_label,
        source_file,
        source_row_number,
        changed_at
    from ranked
    where version_rank = 1
)

select * from latest
