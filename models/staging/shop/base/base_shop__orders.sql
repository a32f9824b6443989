{#- One row per order row read, typed, with the reasons it cannot be
    modelled (null when it can). -#}

with

source as (
    select * from {{ source('shop', 'orders') }}
),

cleaned as (
    select
        _source_file as source_file,
        _source_row_number as source_row_number,
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
        {{ rejection_reasons([
            ('order_id is null', 'missing_order_id'),
            ('customer_email is null', 'missing_customer_email'),
            ('created_at_text is null', 'missing_created_at'),
            ('created_at_text is not null and created_at is null', 'unparseable_created_at'),
            ('cancelled_at_text is not null and cancelled_at is null', 'unparseable_cancelled_at'),
            ('total_amount_text is not null and total_amount is null', 'unparseable_total_amount'),
            ('total_amount < 0', 'negative_amount'),
            ('is_test_text is not null and is_test_parsed is null', 'unparseable_is_test'),
        ]) }} as rejection_reasons
    from typed
)

select * from checked
