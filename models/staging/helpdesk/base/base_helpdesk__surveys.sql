{#- One row per survey response row read, typed, with the reasons it cannot
    be modelled (null when it can). -#}

{{ config(**appended_incrementally()) }}

{%- set checks = [
    ('response_id is null', 'missing_response_id', "'response_id is missing'"),
    ("survey_type is null or survey_type not in ('csat', 'nps')", 'unknown_survey_type',
        "'survey_type is neither csat nor nps: ' || coalesce(" ~ shown_value('survey_type_label') ~ ", '(missing)')"),
    ('score_text is null', 'missing_score', "'score is missing'"),
    ('score_text is not null and score is null', 'unparseable_score',
        "'score is not a whole number: ' || " ~ shown_value('score_text')),
    ("(survey_type = 'csat' and (score < 1 or score > 5))"
        ~ " or (survey_type = 'nps' and (score < 0 or score > 10))", 'score_out_of_range',
        "survey_type || ' score out of range: ' || " ~ shown_value('score_text')),
    ('responded_at_text is null', 'missing_responded_at', "'responded_at is missing'"),
    ('responded_at_text is not null and responded_at is null', 'unparseable_responded_at',
        "'responded_at is not a timestamp: ' || " ~ shown_value('responded_at_text')),
] %}

with

source as (
    select * from {{ source('helpdesk', 'surveys') }}
),

cleaned as (
    select
        _source_file as source_file,
        _source_row_number as source_row_number,
        _raw_record as raw_record,
        {{ clean_text('response_id') }} as response_id,
        {{ clean_text('ticket_id') }} as ticket_id,
        {{ normalize_email(clean_text('respondent_email')) }} as respondent_email,
        {{ clean_text('survey_type') }} as survey_type_label,
        {{ clean_text('score') }} as score_text,
        {{ clean_text('comment') }} as comment,
        {{ clean_text('responded_at') }} as responded_at_text
    from source
),

typed as (
    select
        *,
        {{ normalize_label('survey_type_label') }} as survey_type,
        {{ parse_integer('score_text') }} as score,
        {{ parse_timestamp('responded_at_text') }} as responded_at,
        {{ pseudonymize('respondent_email') }} as customer_id
    from cleaned
),

checked as (
    select
        *,
        {{ rejection_reasons(checks) }} as rejection_reasons,
        {{ rejection_details(checks) }} as rejection_details
    from typed
),

{# The texts as read, their normalised keys and the parse results before
   defaults stay in the CTEs above: raw_record keeps the row as read. #}
final as (
    select
        checked.source_file,
        checked.source_row_number,
        checked.response_id,
        checked.ticket_id,
        checked.respondent_email,
        checked.survey_type_label,
        checked.comment,
        checked.survey_type,
        checked.score,
        checked.responded_at,
        checked.customer_id,
        checked.rejection_reasons,
        checked.rejection_details,
        {{ load_batch() }} as load_batch,
        checked.raw_record
    from checked
)

select * from final
