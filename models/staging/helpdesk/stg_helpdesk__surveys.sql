{{ config(**incremental_by('response_id')) }}

with

response_versions as (
    select * from {{ ref('base_helpdesk__surveys') }}
    where
        rejection_reasons is null
        and {{ in_new_rows(ref('base_helpdesk__surveys'), 'response_id') }}
),

ranked as (
    select
        *,
        {# The same response in several exports: the later file wins. -#}
        row_number() over (
            partition by response_id
            order by source_file desc, source_row_number desc
        ) as version_rank
    from response_versions
),

latest as (
    select
        response_id,
        ticket_id,
        customer_id,
        survey_type,
        comment,
        source_file,
        source_row_number,
        score,
        responded_at
    from ranked
    where version_rank = 1
)

select * from latest
