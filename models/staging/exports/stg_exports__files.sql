with

files as (
    select * from {{ source('exports', 'export_files') }}
),

renamed as (
    select
        entity,
        source_file
    from files
)

select * from renamed
