{#- One row per message row read, typed and labelled, with the reasons it
    cannot be modelled (null when it can). -#}

{{ config(**appended_incrementally()) }}

{%- set checks = [
    ('typed.message_id is null', 'missing_message_id', "'message_id is missing'"),
    ('typed.ticket_id is null', 'missing_ticket_id', "'ticket_id is missing'"),
    ('typed.created_at_text is null', 'missing_created_at', "'created_at is missing'"),
    ('typed.created_at_text is not null and typed.created_at is null',
        'unparseable_created_at', "'created_at is not a timestamp: ' || " ~ shown_value('typed.created_at_text')),
    ('typed.is_public_text is not null and typed.is_public_parsed is null',
        'unparseable_is_public', "'is_public is not a yes/no value: ' || " ~ shown_value('typed.is_public_text')),
] %}

with

source as (
    select * from {{ source('helpdesk', 'ticket_messages') }}
),

cleaned as (
    select
        _source_file as source_file,
        _source_row_number as source_row_number,
        _raw_record as raw_record,
        {{ clean_text('message_id') }} as message_id,
        {{ clean_text('ticket_id') }} as ticket_id,
        {{ clean_text('author_role') }} as author_role_label,
        {{ clean_text('is_public') }} as is_public_text,
        {{ clean_text('created_at') }} as created_at_text
    from source
),

typed as (
    select
        *,
        {{ normalize_label('author_role_label') }} as author_role_key,
        {{ parse_boolean('is_public_text') }} as is_public_parsed,
        {{ parse_timestamp('created_at_text') }} as created_at
    from cleaned
),

role_labels as (
    select * from {{ ref('role_labels') }}
),

labelled as (
    select
        typed.*,
        coalesce(role_labels.author_role, 'unknown') as author_role,
        {# A message whose visibility is not exported is public. -#}
        coalesce(typed.is_public_parsed, true) as is_public,
        {{ rejection_reasons(checks) }} as rejection_reasons,
        {{ rejection_details(checks) }} as rejection_details
    from typed
    left join role_labels
        on typed.author_role_key = role_labels.label
),

{# The texts as read, their normalised keys and the parse results before
   defaults stay in the CTEs above: raw_record keeps the row as read. #}
final as (
    select
        labelled.source_file,
        labelled.source_row_number,
        labelled.message_id,
        labelled.ticket_id,
        labelled.author_role_label,
        labelled.created_at,
        labelled.author_role,
        labelled.is_public,
        labelled.rejection_reasons,
        labelled.rejection_details,
        {{ load_batch() }} as load_batch,
        labelled.raw_record
    from labelled
)

select * from final
