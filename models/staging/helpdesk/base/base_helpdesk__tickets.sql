{#- One row per ticket row read, typed and labelled, with the reasons it
    cannot be modelled (null when it can). Deduplication happens downstream. -#}

{{ config(**appended_incrementally()) }}

{%- set checks = [
    ('typed.ticket_id is null', 'missing_ticket_id', "'ticket_id is missing'"),
    ('typed.created_at_text is null', 'missing_created_at', "'created_at is missing'"),
    ('typed.created_at_text is not null and typed.created_at is null',
        'unparseable_created_at', "'created_at is not a timestamp: ' || " ~ shown_value('typed.created_at_text')),
    (plausible_instant_violated('typed.created_at'), 'implausible_created_at',
        "'created_at is outside 1970-2099: ' || " ~ shown_value('typed.created_at_text')),
    ('typed.updated_at_text is not null and typed.updated_at is null',
        'unparseable_updated_at', "'updated_at is not a timestamp: ' || " ~ shown_value('typed.updated_at_text')),
    ('typed.solved_at_text is not null and typed.solved_at is null',
        'unparseable_solved_at', "'solved_at is not a timestamp: ' || " ~ shown_value('typed.solved_at_text')),
    ('typed.reopen_count_text is not null and typed.reopen_count is null',
        'unparseable_reopen_count', "'reopen_count is not a whole number: ' || " ~ shown_value('typed.reopen_count_text')),
    ('typed.is_escalated_text is not null and typed.is_escalated_parsed is null',
        'unparseable_is_escalated', "'is_escalated is not a yes/no value: ' || " ~ shown_value('typed.is_escalated_text')),
    ('typed.solved_at < typed.created_at', 'solved_before_created',
        "'solved_at ' || " ~ shown_value('typed.solved_at_text') ~ " || ' is before created_at ' || " ~ shown_value('typed.created_at_text')),
] %}

with

source as (
    select * from {{ source('helpdesk', 'tickets') }}
),

cleaned as (
    select
        _source_file as source_file,
        _source_row_number as source_row_number,
        _raw_record as raw_record,
        {{ clean_text('ticket_id') }} as ticket_id,
        {{ clean_text('channel') }} as channel_label,
        {{ clean_text('status') }} as status_label,
        {{ normalize_email(clean_text('requester_email')) }} as requester_email,
        {{ clean_text('assignee_id') }} as assignee_id,
        {{ clean_text('team') }} as team,
        {#- Free text that reaches the marts: a value that looks like an
            e-mail address or phone number is withheld (raw_record keeps it). -#}
        {{ withheld_if_personal(clean_text('category')) }} as category,
        {{ withheld_if_personal(clean_text('priority')) }} as priority,
        {{ clean_text('tags') }} as tags,
        {{ clean_text('is_escalated') }} as is_escalated_text,
        {{ clean_text('reopen_count') }} as reopen_count_text,
        {{ clean_text('created_at') }} as created_at_text,
        {{ clean_text('updated_at') }} as updated_at_text,
        {{ clean_text('solved_at') }} as solved_at_text
    from source
),

typed as (
    select
        *,
        {{ normalize_label('channel_label') }} as channel_key,
        {{ normalize_label('status_label') }} as status_key,
        {{ parse_boolean('is_escalated_text') }} as is_escalated_parsed,
        {{ parse_integer('reopen_count_text') }} as reopen_count,
        {{ parse_timestamp('created_at_text') }} as created_at,
        {{ parse_timestamp('updated_at_text') }} as updated_at,
        {{ parse_timestamp('solved_at_text') }} as solved_at
    from cleaned
),

channel_labels as (
    select * from {{ ref('channel_labels') }}
),

status_labels as (
    select * from {{ ref('status_labels') }}
),

labelled as (
    select
        typed.*,
        coalesce(channel_labels.channel, 'other') as channel,
        coalesce(status_labels.status, 'unknown') as status,
        coalesce(typed.is_escalated_parsed, false) as is_escalated,
        {{ pseudonymize('typed.requester_email') }} as customer_id,
        {{ rejection_reasons(checks) }} as rejection_reasons,
        {{ rejection_details(checks) }} as rejection_details
    from typed
    left join channel_labels
        on typed.channel_key = channel_labels.label
    left join status_labels
        on typed.status_key = status_labels.label
),

{# The texts as read, their normalised keys and the parse results before
   defaults stay in the CTEs above: raw_record keeps the row as read. #}
final as (
    select
        labelled.source_file,
        labelled.source_row_number,
        labelled.ticket_id,
        labelled.channel_label,
        labelled.status_label,
        labelled.requester_email,
        labelled.assignee_id,
        labelled.team,
        labelled.category,
        labelled.priority,
        labelled.tags,
        labelled.reopen_count,
        labelled.created_at,
        labelled.updated_at,
        labelled.solved_at,
        labelled.channel,
        labelled.status,
        labelled.is_escalated,
        labelled.customer_id,
        labelled.rejection_reasons,
        labelled.rejection_details,
        {{ load_batch() }} as load_batch,
        labelled.raw_record
    from labelled
)

select * from final
