{{ config(**incremental_by('ticket_id')) }}

with

ticket_versions as (
    select * from {{ ref('base_helpdesk__tickets') }}
    where
        rejection_reasons is null
        and {{ in_new_rows(ref('base_helpdesk__tickets'), 'ticket_id') }}
),

ranked as (
    select
        *,
        {# Overlapping exports: the latest updated_at wins; ties go to the
            later file (export names sort by date), then the later row. -#}
        row_number() over (
            partition by ticket_id
            order by
                coalesce(updated_at, created_at) desc,
                source_file desc,
                source_row_number desc
        ) as version_rank
    from ticket_versions
),

latest as (
    select
        ticket_id,
        customer_id,
        channel,
        channel_label,
        status,
        status_label,
        category,
        priority,
        team,
        assignee_id,
        tags,
        source_file,
        coalesce(reopen_count, 0) as reopen_count,
        source_row_number,
        is_escalated,
        status = 'solved' or (status = 'closed' and solved_at is not null) as is_solved,
        status = 'closed' and solved_at is null as is_abandoned,
        created_at,
        coalesce(updated_at, created_at) as updated_at,
        solved_at
    from ranked
    where version_rank = 1
)

select * from latest
