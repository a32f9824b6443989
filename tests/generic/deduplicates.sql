{% test deduplicates(model, column_name, base_model) %}
{#- The model holds each key of the base model's accepted rows (no
    rejection reasons) exactly once: deduplication removes copies only. -#}
with

base_keys as (
    select count(distinct {{ column_name }}) as key_count
    from {{ base_model }}
    where rejection_reasons is null
),

staged_keys as (
    select
        count(distinct {{ column_name }}) as key_count,
        count(*) as row_count
    from {{ model }}
)

select
    base_keys.key_count as keys_in_base,
    staged_keys.key_count as keys_in_model,
    staged_keys.row_count as rows_in_model
from base_keys
cross join staged_keys
where
    base_keys.key_count != staged_keys.key_count
    or staged_keys.key_count != staged_keys.row_count
{% endtest %}
