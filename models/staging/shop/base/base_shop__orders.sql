{#- One row per order row read, typed, with the reasons it cannot be
    modelled (null when it can). -#}

{{ config(**appended_incrementally()) }}

{%- set checks = [
    ('order_id is null', 'missing_order_id', "'order_id is missing'"),
    ('customer_email is null', 'missing_customer_email', "'customer_email is missing'"),
    ('created_at_text is null', 'missing_created_at', "'created_at is missing'"),
    ('created_at_text is not null and created_at is null', 'unparseable_created_at',
        "'created_at is not a timestamp: ' || " ~ shown_value('created_at_text')),
    (plausible_instant_violated('created_at'), 'implausible_created_at',
        "'created_at is outside 1970-2099: ' || " ~ shown_value('created_at_text')),
    ('cancelled_at_text is not null and cancelled_at is null', 'unparseable_cancelled_at',
        "'cancelled_at is not a timestamp: ' || " ~ shown_value('cancelled_at_text')),
    ('total_amount_text is not null and total_amount is null', 'unparseable_total_amount',
        "'total_amount is not a number: ' || " ~ shown_value('total_amount_text')),
    ('total_amount < 0', 'negative_amount', "'total_amount is negative: ' || " ~ shown_value('total_amount_text')),
    ('is_test_text is not null and is_test_parsed is null', 'unparseable_is_test',
        "'is_test is not a yes/no value: ' || " ~ shown_value('is_test_text')),
] %}

with

source as (
    select * from {{ source('shop', 'orders') }}
),

cleaned as (
    select
        _source_file as source_file,
        _source_row_number as source_row_number,
        _raw_record as raw_record,
        {{ clean_text('order_id') }} as order_id,
        {{ normalize_email(clean_text('customer_email')) }} as customer_email,
        {{ clean_text('total_amount') }} as total_amount_text,
        upper({{ clean_text('currency') }}) as currency,
        {{ normalize_label(clean_text('financial_status')) }} as financial_status,
        {{ clean_text('is_test') }} as is_test_text,
        {{ clean_text('created_at') }} as created_at_text,
        {{ clean_text('cancelled_at') }} as cancelled_at_text
    from source
),

typed as (
    select
        *,
        {{ parse_decimal('total_amount_text') }} as total_amount,
        {{ parse_boolean('is_test_text') }} as is_test_parsed,
        {{ parse_timestamp('created_at_text') }} as created_at,
        {{ parse_timestamp('cancelled_at_text') }} as cancelled_at,
        {{ pseudonymize('customer_email') }} as customer_id
    from cleaned
),

checked as (
    select
        *,
        coalesce(is_test_parsed, false) as is_test,
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
        checked.order_id,
        checked.customer_email,
        checked.currency,
        checked.financial_status,
        checked.total_amount,
        checked.created_at,
        checked.cancelled_at,
        checked.customer_id,
        checked.is_test,
        checked.rejection_reasons,
        checked.rejection_details,
        {{ load_batch() }} as load_batch,
        checked.raw_record
    from checked
)

select * from final
