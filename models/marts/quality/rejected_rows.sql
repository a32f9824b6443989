{#- Rows rejected as read (base models) or when related to their ticket
    (checked models); the raw record comes from the base model either way. -#}

{%- set entities = [] %}
{%- for models in export_entity_models() %}
    {%- do entities.append((models.entity, models.base, models.checked)) %}
{%- endfor %}

with

{% for entity, base_model, checked_model in entities -%}
    {{ entity }}_rejected as (
        select
            '{{ entity }}' as entity,
            source_file,
            source_row_number,
            rejection_reasons as reason,
            rejection_details as detail,
            raw_record
        from {{ ref(base_model) }}
        where rejection_reasons is not null
        {%- if checked_model %}
            union all
            select
                '{{ entity }}' as entity,
                checked_rows.source_file,
                checked_rows.source_row_number,
                checked_rows.rejection_reasons as reason,
                checked_rows.rejection_details as detail,
                read_rows.raw_record
            from {{ ref(checked_model) }} as checked_rows
            inner join {{ ref(base_model) }} as read_rows
                on
                    checked_rows.source_file = read_rows.source_file
                    and checked_rows.source_row_number = read_rows.source_row_number
            where checked_rows.rejection_reasons is not null
        {%- endif %}
    ),

{% endfor -%}
final as (
    {%- for entity, base_model, checked_model in entities %}
        select
            entity,
            source_file,
            reason,
            detail,
            raw_record,
            source_row_number
        from {{ entity }}_rejected
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
)

select * from final
