{#- Per file: rows read = rows modelled + rows rejected + rows duplicate.
    Rows read, rejected as read and duplicates come from the rows read;
    rows modelled and rejected when related come from the model that kept
    them, so the identity checks that no layer lost or invented a row. -#}

{%- set entities = [] %}
{%- for models in export_entity_models() %}
    {%- do entities.append((models.entity, models.base, models.checked or models.staged)) %}
{%- endfor %}

with

files as (
    select * from {{ ref('stg_exports__files') }}
),

{% for entity, base_model, kept_model in entities -%}
    {# One pass over the rows read: rejected as read, or clean but not the
       copy deduplication kept (a duplicate). #}
    {{ entity }}_read as (
        select
            read_rows.source_file,
            count(*) as rows_read,
            sum(case when read_rows.rejection_reasons is not null then 1 else 0 end)
                as rows_rejected_as_read,
            sum(
                case
                    when read_rows.rejection_reasons is null and kept_rows.source_file is null
                        then 1
                    else 0
                end
            ) as rows_duplicate
        from {{ ref(base_model) }} as read_rows
        left join {{ ref(kept_model) }} as kept_rows
            on
                read_rows.source_file = kept_rows.source_file
                and read_rows.source_row_number = kept_rows.source_row_number
        group by read_rows.source_file
    ),

    {{ entity }}_kept as (
        select
            source_file,
            {%- if kept_model.startswith('int_') %}
                sum(case when rejection_reasons is null then 1 else 0 end) as rows_modelled,
                sum(case when rejection_reasons is not null then 1 else 0 end)
                    as rows_rejected_as_related
            {%- else %}
                count(*) as rows_modelled,
                0 as rows_rejected_as_related
            {%- endif %}
        from {{ ref(kept_model) }}
        group by source_file
    ),

    {{ entity }}_audit as (
        select
            files.entity,
            files.source_file,
            coalesce({{ entity }}_read.rows_read, 0) as rows_read,
            coalesce({{ entity }}_kept.rows_modelled, 0) as rows_modelled,
            coalesce({{ entity }}_read.rows_rejected_as_read, 0)
            + coalesce({{ entity }}_kept.rows_rejected_as_related, 0) as rows_rejected,
            coalesce({{ entity }}_read.rows_duplicate, 0) as rows_duplicate
        from files
        left join {{ entity }}_read
            on files.source_file = {{ entity }}_read.source_file
        left join {{ entity }}_kept
            on files.source_file = {{ entity }}_kept.source_file
        where files.entity = '{{ entity }}'
    ),

{% endfor -%}
final as (
    {%- for entity, base_model, kept_model in entities %}
        select
            entity,
            source_file,
            cast(rows_read as {{ dbt.type_bigint() }}) as rows_read,
            cast(rows_modelled as {{ dbt.type_bigint() }}) as rows_modelled,
            cast(rows_rejected as {{ dbt.type_bigint() }}) as rows_rejected,
            cast(rows_duplicate as {{ dbt.type_bigint() }}) as rows_duplicate
        from {{ entity }}_audit
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
)

select * from final
