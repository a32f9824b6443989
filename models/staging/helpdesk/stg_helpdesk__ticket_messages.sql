{{ config(**incremental_by('message_id')) }}

with

message_versions as (
    select * from {{ ref('base_helpdesk__ticket_messages') }}
    where
        rejection_reasons is null
        and {{ in_new_rows(ref('base_helpdesk__ticket_messages'), 'message_id') }}
),

ranked as (
    select
        *,
        {# The same message in several exports: the later file wins. -#}
        row_number() over (
            partition by message_id
            order by source_file desc, source_row_number desc
        ) as version_rank
    from message_versions
),

latest as (
    select
        message_id,
        ticket_id,
        author_role,
        author_role_label,
        source_file,
        source_row_number,
        is_public,
        author_role = 'agent' and is_public as is_human_reply,
        created_at
    from ranked
    where version_rank = 1
)

select * from latest
